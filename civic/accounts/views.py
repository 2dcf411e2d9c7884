"""Placeholder views; replaced by the accounts implementation."""

from civic.accounts import bp


@bp.route("/login", methods=["GET", "POST"])
def login() -> str:
    return "login"


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> str:
    return "signup"


@bp.post("/logout")
def logout() -> str:
    return "logout"


@bp.get("/")
def profile() -> str:
    return "profile"
