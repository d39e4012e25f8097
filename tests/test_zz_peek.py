from tests.test_trend_pages import CHARTS, figure_table, world  # noqa: F401
def test_peek(world, dbs, client, auth):
    auth.login("kbh")
    html = client.get("/municipality/?period=2022-03").get_data(as_text=True)
    for code, _d, _e in CHARTS:
        print(code, figure_table(html, code))
    open("/tmp/muni.html","w").write(html)
    auth.login("ministeriet")
    open("/tmp/nat.html","w").write(client.get("/national/?period=2022").get_data(as_text=True))
    open("/tmp/ann.html","w").write(client.get("/annual/101/2022").get_data(as_text=True))
    open("/tmp/ann.pdf","wb").write(client.get("/annual/101/2022.pdf").data)
    open("/tmp/annn.pdf","wb").write(client.get("/annual/national/2022.pdf").data)
