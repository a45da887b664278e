from clocher.territories.search import search_territories


def test_it_finds_a_commune_by_name_without_accents_or_hyphens(auch, marciac):
    assert [t.code for t in search_territories("MARCIAC")] == ["32233"]


def test_it_finds_a_commune_by_postcode(auch, marciac):
    assert [t.name for t in search_territories("32230")] == ["Marciac"]


def test_it_ranks_names_that_start_with_the_query_first(auch, marciac):
    assert [t.name for t in search_territories("a")][0] == "Auch"


def test_it_leaves_merged_communes_out(auch):
    auch.is_active = False
    auch.save()
    assert search_territories("auch") == []


def test_it_searches_only_within_the_given_territories(auch, marciac):
    from clocher.territories.models import Territory

    within = Territory.objects.filter(pk=marciac.pk)
    assert search_territories("auch", within=within) == []
