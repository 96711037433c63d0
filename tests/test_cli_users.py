"""`flask --app app users ...`: accounts and API tokens from the command line."""
from sqlalchemy import select

from coordination.auth.models import User
from coordination.extensions import db


def test_create_a_commune_account_with_the_password_on_stdin(runner, client):
    result = runner.invoke(args=["users", "create", "thatkhe2", "--role", "commune",
                                 "--commune", "06040", "--phone", "0912000111",
                                 "--full-name", "Lý Thị Cúc", "--password-stdin"],
                           input="mat-khau-dai-du-1\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "thatkhe2"))
    assert (user.role, user.commune_code, user.phone) == ("commune", "06040", "0912000111")
    assert user.check_password("mat-khau-dai-du-1")
    assert "mat-khau-dai-du-1" not in user.password_hash


def test_a_token_printed_on_the_last_line_works_on_the_api(runner, client, users):
    result = runner.invoke(args=["users", "token", "thatkhe"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = client.get("/api/v1/indicators", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert client.get("/api/v1/indicators", headers={
        "Authorization": "Bearer sai"}).status_code == 401


def test_bad_accounts_are_refused_with_a_clear_message(runner, users):
    no_commune = runner.invoke(args=["users", "create", "xa-moi", "--role", "commune",
                                     "--password-stdin"], input="mat-khau-dai-du-1\n")
    assert no_commune.exit_code != 0 and "mã xã/phường" in no_commune.output
    short = runner.invoke(args=["users", "create", "tinh2", "--role", "province",
                                "--password-stdin"], input="ngan\n")
    assert short.exit_code != 0 and "ít nhất 8 ký tự" in short.output
    taken = runner.invoke(args=["users", "create", "thatkhe", "--role", "province",
                                "--password-stdin"], input="mat-khau-dai-du-1\n")
    assert taken.exit_code != 0 and "đã tồn tại" in taken.output
    unknown = runner.invoke(args=["users", "token", "khong-co"])
    assert unknown.exit_code != 0 and "Không có tài khoản" in unknown.output
