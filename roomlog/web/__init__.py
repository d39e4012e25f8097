"""What the blueprints' views share, one layer below them: safe redirects, the PDF renderer, the published
tables of the aggregate pages and their downloads, the approval forms, the record history in words, the
offline code key, the template helpers. A blueprint imports these, never another blueprint."""
