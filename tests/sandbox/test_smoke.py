def test_create_then_get_round_trips(sandbox):
    created = sandbox.request("POST", "contact", json={"default": {"first_name": "Ada", "score": 3}})
    assert created.status_code == 201
    got = sandbox.request("GET", f"contact/{created.json()['id']}")
    assert got.json()["default"]["first_name"] == "Ada"
    assert got.headers["ETag"] == created.headers["ETag"]


def test_sdk_lists_what_was_created(sandbox):
    client = sandbox.sdk()
    made = client.prism.objects.contacts.create(default={"first_name": "Grace"})
    page = client.prism.objects.contacts.list(select="first_name")
    assert [row.id for row in page.data] == [made.id]
