"""Commands for operators (the database must be migrated: `python -m accounts.migrate`):

python -m accounts.cli create-staff --email E --password P --role reviewer
    a staff account, active at once
python -m accounts.cli rotate-keys
    a new signing key; the old ones verify until their last token expires (`make rotate-keys`)
python -m accounts.cli revoke-key KID
    the key stops verifying at once here, within ACCOUNTS_JWKS_REFRESH everywhere (`make revoke-key`)"""

from __future__ import annotations

import argparse
import sys

from marshmallow import ValidationError, validate

from mumaris_shared.auth import STAFF_ROLES
from mumaris_shared.contracts import LANGUAGES
from mumaris_shared.errors import DomainError
from mumaris_shared.identity import normalise_email, normalise_full_name, normalise_national_id

from .bootstrap import runtime
from .service import AccountService


def parser() -> argparse.ArgumentParser:
    commands = argparse.ArgumentParser(prog="python -m accounts.cli", description="Mumaris accounts commands")
    subcommands = commands.add_subparsers(dest="command", required=True)
    staff = subcommands.add_parser("create-staff", help="create an active staff account and print its id")
    staff.add_argument("--email", required=True)
    staff.add_argument("--password", required=True)
    staff.add_argument("--role", required=True, choices=STAFF_ROLES)
    staff.add_argument("--national-id", required=True, help="the person's: nobody decides their own case")
    staff.add_argument("--full-name", help="default: the e-mail address's name part")
    staff.add_argument("--language", choices=LANGUAGES, default="ar")
    subcommands.add_parser("rotate-keys", help="sign with a new key from now on; print its kid")
    revoke = subcommands.add_parser("revoke-key", help="withdraw a signing key at once")
    revoke.add_argument("kid")
    return commands


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "create-staff":
        return create_staff(args)
    service_runtime = runtime()
    try:
        keys = AccountService(service_runtime).keys
        if args.command == "rotate-keys":
            kid, retired = keys.rotate()
            print(f"signing with {kid}; retired (verifying until their tokens expire): {', '.join(retired) or 'none'}")
            return 0
        if not keys.revoke(args.kid):
            print(f"error: no signing key {args.kid!r}", file=sys.stderr)
            return 1
        print(f"revoked {args.kid}")
        return 0
    finally:
        service_runtime.db.dispose()


def create_staff(args: argparse.Namespace) -> int:
    email = normalise_email(args.email)
    try:
        validate.Email()(email)
    except ValidationError:
        print(f"error: not an e-mail address: {args.email!r}", file=sys.stderr)
        return 1
    service_runtime = runtime()
    try:
        account_id = AccountService(service_runtime).create_staff(
            email=email,
            password=args.password,
            role=args.role,
            language=args.language,
            full_name=normalise_full_name(args.full_name or email.partition("@")[0]),
            national_id=normalise_national_id(args.national_id),
        )
    except DomainError as error:
        problems = error.details.get("fields", {}).get("password", [])
        print(f"error: {'; '.join([error.message, *problems])} ({error.code})", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        service_runtime.db.dispose()
    print(account_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
