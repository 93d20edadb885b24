"""The admin panel's System page: what ``/readyz`` only says as ok or failing, in detail."""

from __future__ import annotations


def test_key_users_see_the_detail_on_the_admin_panel(client, kim) -> None:
    page = client.get("/admin/system").get_data(as_text=True)
    assert 'id="dependency-database"' in page and "Failing" not in page
    assert page.count(">OK<") == 2


def test_the_system_page_is_for_key_users_only(client) -> None:
    assert client.get("/admin/system").status_code == 302
