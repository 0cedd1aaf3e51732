"""Settings: the database URL decides the store, and nothing else in the environment does."""

from __future__ import annotations

import pytest

from jiebang_es.config import Settings, store_env
from jiebang_es.errors import InvalidValueError


def test_default_store_is_an_embedded_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = Settings().eventsourcing_env()
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == "./var/jiebang.db"
    assert (tmp_path / "var").is_dir()


def test_postgres_url_is_translated_with_schema_and_pool():
    env = Settings(
        database_url="postgresql://app:s%40cret@db.example:6543/jiebang?schema=es", pool_size=7
    ).eventsourcing_env()
    assert env["POSTGRES_DBNAME"] == "jiebang"
    assert env["POSTGRES_HOST"] == "db.example"
    assert env["POSTGRES_PORT"] == "6543"
    assert env["POSTGRES_USER"] == "app"
    assert env["POSTGRES_PASSWORD"] == "s@cret"  # noqa: S105 - a test value
    assert env["POSTGRES_SCHEMA"] == "es"
    assert env["POSTGRES_POOL_SIZE"] == "7"
    assert "POSTGRES_ENABLE_DB_FUNCTIONS" not in env


def test_industries_from_a_comma_separated_variable(monkeypatch):
    monkeypatch.setenv("JIEBANG_INDUSTRIES", "智能科技, 新材料")
    assert Settings().industries == ("智能科技", "新材料")


@pytest.mark.parametrize("url", ["mysql://x/y", "postgresql://host", "sqlite://"])
def test_unsupported_urls_name_the_setting(url):
    with pytest.raises(InvalidValueError) as caught:
        store_env(url)
    assert caught.value.field == "JIEBANG_DATABASE_URL"


def test_challenge_side_settings_of_version_2_from_the_environment(monkeypatch):
    """R-EU-LOCAL's district, R-OPEN's wording (comma-separated) and R-EU-COMMIT's share."""
    defaults = Settings()
    assert defaults.district_code == "500106"
    assert "注册满" in defaults.forbidden_solver_conditions
    assert str(defaults.eu_commitment_min_ratio) == "0.10"
    monkeypatch.setenv("JIEBANG_DISTRICT_CODE", "500103")
    monkeypatch.setenv("JIEBANG_FORBIDDEN_SOLVER_CONDITIONS", "博士, 职称")
    monkeypatch.setenv("JIEBANG_EU_COMMITMENT_MIN_RATIO", "0.5")
    policy = Settings().draft_policy()
    assert Settings().district_code == "500103"
    assert policy.forbidden_conditions == ("博士", "职称")
    assert str(policy.commitment_min_ratio) == "0.5"


@pytest.mark.parametrize(
    ("name", "value"), [("DISTRICT_CODE", "5001"), ("EU_COMMITMENT_MIN_RATIO", "-1")]
)
def test_challenge_side_settings_refuse_malformed_values(monkeypatch, name, value):
    monkeypatch.setenv(f"JIEBANG_{name}", value)
    with pytest.raises(ValueError, match=name.lower()):
        Settings()


def test_log_levels_in_any_case_and_an_empty_metrics_token_is_unset(monkeypatch):
    monkeypatch.setenv("JIEBANG_LOG_LEVEL", "INFO")
    monkeypatch.setenv("JIEBANG_REQUEST_LOG_LEVEL", " Warning ")
    monkeypatch.setenv("JIEBANG_METRICS_TOKEN", "")
    settings = Settings()
    assert settings.log_level == "info"
    assert settings.request_log_level == "warning"
    assert settings.metrics_token is None


@pytest.mark.parametrize(
    ("name", "value"), [("JIEBANG_BUREAU_CODE", "abc"), ("JIEBANG_INDUSTRIES", " , ")]
)
def test_a_bureau_code_that_fails_its_check_and_no_industry_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name.removeprefix("JIEBANG_").lower()):
        Settings()
