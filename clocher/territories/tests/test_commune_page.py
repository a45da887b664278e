from clocher.territories.models import Collectivity


def test_the_commune_page_shows_its_card_and_a_choose_button(gers_client, auch):
    html = gers_client.get("/communes/32013/").content.decode()
    assert '<h1 id="card-title">Auch</h1>' in html
    assert 'action="/ma-commune/choisir/"' in html
    assert 'href="tel:+33562612100"' in html


def test_a_passive_commune_shows_its_geography_only(gers_client, marciac):
    html = gers_client.get("/communes/32233/").content.decode()
    assert "Marciac" in html
    assert "CC Bastides et Vallons du Gers" in html
    assert "Contacter la mairie" not in html


def test_the_chosen_commune_says_so_instead_of_offering_to_choose_it(gers_client, auch):
    gers_client.cookies["commune"] = "32013"
    html = gers_client.get("/communes/32013/").content.decode()
    assert "votre commune" in html
    assert 'name="code" value="32013"' not in html


def test_another_portals_commune_is_a_404(gers_client, alencon):
    assert gers_client.get("/communes/61001/").status_code == 404


def test_an_unknown_code_is_a_404(gers_client):
    assert gers_client.get("/communes/99999/").status_code == 404
    assert gers_client.get("/communes/" + "9" * 300 + "/").status_code == 404


def test_the_epci_page_lists_its_member_communes(gers_client, auch):
    html = gers_client.get("/territoires/epci/200066926/").content.decode()
    assert "CA Grand Auch Cœur de Gascogne" in html
    assert '<a href="/communes/32013/">Auch</a>' in html


def test_the_departement_page_lists_its_intercommunalities(gers_client, auch, marciac):
    html = gers_client.get("/territoires/departement/32/").content.decode()
    assert '<a href="/territoires/epci/200066926/">' in html
    assert '<a href="/territoires/epci/200034460/">' in html


def test_territory_pages_of_another_portal_or_kind_are_404(gers_client, orne, cu_alencon, orne_portal):
    assert gers_client.get("/territoires/departement/61/").status_code == 404
    assert gers_client.get("/territoires/epci/246100663/").status_code == 404
    assert gers_client.get("/territoires/planete/32/").status_code == 404


def test_a_joined_collectivity_shows_its_own_presentation(gers_client, auch):
    Collectivity.objects.filter(territory=auch).update(description="Préfecture du Gers.")
    assert "Préfecture du Gers." in gers_client.get("/communes/32013/").content.decode()


def test_the_commune_and_territory_pages_keep_their_queries_few(
    gers_client, auch, marciac, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        assert gers_client.get("/communes/32013/").status_code == 200
    with django_assert_max_num_queries(5):
        assert gers_client.get("/territoires/departement/32/").status_code == 200


def test_a_presentation_written_in_the_staff_form_shows_as_formatted_text(gers_client, auch):
    auch.collectivity.description = "<p>Auch &amp; le <strong>Gers</strong></p>"
    auch.collectivity.save()
    html = gers_client.get("/communes/32013/").content.decode()
    assert "<p>Auch &amp; le <strong>Gers</strong></p>" in html
    assert "&lt;strong&gt;" not in html


def test_a_presentation_stored_by_another_path_is_sanitised_at_display(gers_client, auch):
    auch.collectivity.description = '<p onclick="x()">Bienvenue<script>alert(1)</script></p>'
    auch.collectivity.save()
    html = gers_client.get("/communes/32013/").content.decode()
    assert "<p>Bienvenue</p>" in html
    assert "alert(1)" not in html and "onclick" not in html


def test_a_plain_text_presentation_keeps_its_paragraphs(gers_client, auch):
    auch.collectivity.description = "Première ligne & suite.\n\nSecond paragraphe."
    auch.collectivity.save()
    html = gers_client.get("/communes/32013/").content.decode()
    assert "<p>Première ligne &amp; suite.</p>\n\n<p>Second paragraphe.</p>" in html
