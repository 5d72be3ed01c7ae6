from juesuan.validation.codes import Catalogue, load_catalogue


def test_catalogue_has_both_systems_with_sources() -> None:
    cat = load_catalogue()
    assert cat.name("2080505") == "机关事业单位基本养老保险缴费支出"
    assert cat.name("30101") == "基本工资"
    assert cat.name("201") == "一般公共服务支出"
    assert cat.get("2010601") is not None and any(s.startswith("real:") for s in cat.get("2010601").sources)
    assert {e.system for e in cat.entries.values()} == {"function", "economic"}
    for entry in cat.entries.values():
        assert len(entry.code) == {1: 3, 2: 5, 3: 7}[entry.level]
        assert entry.sources


def test_names_match_tolerates_spaces_and_brackets() -> None:
    cat = load_catalogue()
    assert cat.names_match("30213", "维修(护)费") is True
    assert cat.names_match("30101", "津贴补贴") is False
    assert cat.names_match("9999999", "x") is None
    assert Catalogue.system_of("2080505") == "function" and Catalogue.system_of("30101") == "economic"
    assert Catalogue.parent("2080505") == "20805" and Catalogue.parent("208") is None
