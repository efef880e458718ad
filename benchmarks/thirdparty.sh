#!/usr/bin/env bash
# Obtain real third-party Flask apps from PyPI and set them up to be probed
# with `--app SPEC` (same meaning as `flask --app SPEC`).
#
#   bash benchmarks/thirdparty.sh            install/refresh, then check each app loads
#   bash benchmarks/thirdparty.sh --seed     also create schemas and users (see README)
#   bash benchmarks/thirdparty.sh --no-check skip the `flask routes` check
#   bash benchmarks/thirdparty.sh --reset    delete the apps' databases first
#
# Everything lands in benchmarks/.cache/ (git-ignored). Safe to re-run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CACHE="$HERE/.cache"
VENV="$CACHE/venv"
PY="$VENV/bin/python"
FLASK="$VENV/bin/flask"
SDISTS="$CACHE/sdists"

# Pinned versions known to load under Flask 3.1 / Werkzeug 3.1 (see README).
HTTPBIN_REQ="httpbin==0.10.4"
FLASGGER_REQ="flasgger==0.9.7.1"            # httpbin's optional Swagger UI
FAB_VERSION="5.3.0"
FAB_REQS=("flask-appbuilder==$FAB_VERSION" "marshmallow>=3.18,<4")
FSEC_VERSION="5.9.2"
FSEC_REQS=("flask-security[fsqla,common,babel]==$FSEC_VERSION" "zxcvbn==4.5.0")

# Expected `flask routes` counts (rules, incl. static) for the pins above.
declare -A EXPECTED=([httpbin]=61 [flaskr]=10 [fab_crud]=141 [fsqla_blog]=11)

CHECK=1 SEED=0 RESET=0
for arg in "$@"; do
    case "$arg" in
        --no-check) CHECK=0 ;;
        --seed) SEED=1 ;;
        --reset) RESET=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

log() { printf '>> %s\n' "$*" >&2; }
# pip, minus the noise of find-links/index entries that do not exist on this machine.
pip_q() {
    "$PY" -m pip --disable-pip-version-check -q "$@" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

# Download one sdist (no deps, no wheels) unless already cached; print its path.
sdist() {  # sdist NAME VERSION
    local name="$1" version="$2" found
    found="$(find "$SDISTS" -maxdepth 1 -iname "$(echo "$name" | tr '-' '?')-$version.tar.gz" | head -n1)"
    if [[ -z "$found" ]]; then
        log "downloading sdist $name==$version"
        pip_q download --no-deps --no-binary :all: "$name==$version" -d "$SDISTS" >&2
        found="$(find "$SDISTS" -maxdepth 1 -iname "$(echo "$name" | tr '-' '?')-$version.tar.gz" | head -n1)"
    fi
    [[ -n "$found" ]] || { echo "could not download sdist $name==$version" >&2; exit 1; }
    printf '%s\n' "$found"
}

# Copy SUBDIR of the sdist TARBALL to DEST unless DEST already came from it.
extract() {  # extract TARBALL SUBDIR DEST
    local tarball="$1" subdir="$2" dest="$3" stamp="$3/.from-sdist"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$(basename "$tarball"):$subdir" ]]; then
        return 0
    fi
    log "extracting $subdir from $(basename "$tarball") -> ${dest#"$ROOT"/}"
    rm -rf "$dest"
    "$PY" - "$tarball" "$subdir" "$dest" <<'EOF'
import shutil, sys, tarfile, tempfile, pathlib
tarball, subdir, dest = sys.argv[1:]
with tarfile.open(tarball) as tf, tempfile.TemporaryDirectory() as tmp:
    top = tf.getnames()[0].split("/")[0]
    prefix = f"{top}/{subdir}/"
    members = [m for m in tf.getmembers() if m.name.startswith(prefix)]
    if not members:
        sys.exit(f"{subdir} not found in {tarball}")
    tf.extractall(tmp, members=members, filter="data")
    shutil.copytree(pathlib.Path(tmp, top, subdir), dest)
EOF
    printf '%s\n' "$(basename "$tarball"):$subdir" > "$stamp"
}

mkdir -p "$CACHE" "$SDISTS"
START=$SECONDS

# ---------------------------------------------------------------- venv + deps
if [[ ! -x "$PY" ]]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
fi
REQS=("$HTTPBIN_REQ" "$FLASGGER_REQ" "${FAB_REQS[@]}" "${FSEC_REQS[@]}")
STAMP_WANT="$(printf '%s\n' "${REQS[@]}"; cat "$ROOT/pyproject.toml")"
if [[ ! -f "$VENV/.deps-stamp" || "$(cat "$VENV/.deps-stamp")" != "$STAMP_WANT" ]]; then
    log "installing testboost (editable, from $ROOT) and the third-party apps"
    pip_q install -e "$ROOT" "${REQS[@]}"
    printf '%s\n' "$STAMP_WANT" > "$VENV/.deps-stamp"
fi
FLASK_VERSION="$("$PY" -c 'import importlib.metadata as m; print(m.version("flask"))')"

# ---------------------------------------------------------------- 1. httpbin
# Installed from PyPI; nothing else to do.

# ---------------------------------------------------------------- 2. flaskr
FLASKR_DIR="$CACHE/flaskr"
extract "$(sdist flask "$FLASK_VERSION")" examples/tutorial "$FLASKR_DIR"
if ! (cd / && "$PY" -c 'import flaskr, sys; sys.exit(flaskr.__file__.startswith(sys.argv[1]) is False)' \
        "$FLASKR_DIR" 2>/dev/null); then
    log "pip install -e flaskr"
    pip_q install -e "$FLASKR_DIR"
fi

# ---------------------------------------------------------------- 3. FAB crud_rest_api
FAB_DIR="$CACHE/fab_crud_rest_api"
extract "$(sdist flask-appbuilder "$FAB_VERSION")" examples/crud_rest_api "$FAB_DIR"
# The FAB 5.x sdists ship examples/crud_rest_api without app/extensions.py (it is
# in the upstream repo). Recreate it the way the sdist's examples/quickminimal
# builds the same two objects.
if [[ ! -f "$FAB_DIR/app/extensions.py" ]]; then
    cat > "$FAB_DIR/app/extensions.py" <<'EOF'
# Added by benchmarks/thirdparty.sh: missing from the Flask-AppBuilder sdist.
from flask_appbuilder import AppBuilder
from flask_appbuilder.utils.legacy import get_sqla_class

db = get_sqla_class()()
appbuilder = AppBuilder()
EOF
fi

# ---------------------------------------------------------------- 4. Flask-Security fsqlalchemy1
FSQLA_DIR="$CACHE/fsqla_blog"
FSQLA_DB="$CACHE/fsqla_blog.sqlite"
extract "$(sdist flask-security "$FSEC_VERSION")" examples/fsqlalchemy1 "$FSQLA_DIR"

if (( RESET )); then
    log "deleting databases"
    rm -f "$FLASKR_DIR/instance/flaskr.sqlite" "$FAB_DIR/app.db" "$FSQLA_DB"
fi

# ---------------------------------------------------------------- seed (optional)
if (( SEED )); then
    log "seeding: flaskr init-db"
    (cd "$FLASKR_DIR" && "$FLASK" --app flaskr init-db >&2)
    log "seeding: FAB admin user admin/admin"
    (cd "$FAB_DIR" && "$FLASK" --app app fab create-admin --username admin --firstname Admin \
        --lastname User --email admin@example.com --password admin 2>/dev/null >&2)
    if [[ ! -f "$FSQLA_DB" ]]; then
        log "seeding: Flask-Security users + first blog"
        (cd "$FSQLA_DIR" && SQLALCHEMY_DATABASE_URI="sqlite:///$FSQLA_DB" "$PY" -c '
from app import create_app, create_users
app = create_app()
with app.app_context():
    create_users()' >&2)
    fi
fi

# ---------------------------------------------------------------- check
# count_routes NAME DIR SPEC [ENV=VAL...]: `flask --app SPEC routes` in DIR.
# If the flask CLI itself is broken (e.g. a bad `flask.commands` entry point),
# fall back to loading SPEC with flask.cli.ScriptInfo, which is what --app does.
count_routes() {
    local name="$1" dir="$2" spec="$3"; shift 3
    local out err n
    err="$(mktemp)"
    if out="$(cd "$dir" && env "$@" "$FLASK" --app "$spec" routes 2>"$err")"; then
        n=$(( $(printf '%s\n' "$out" | wc -l) - 2 ))
    else
        echo "WARNING: '$FLASK --app $spec routes' failed in $dir: $(tail -n1 "$err")" >&2
        n="$(cd "$dir" && env "$@" "$PY" -c '
import sys
from flask.cli import ScriptInfo
app = ScriptInfo(app_import_path=sys.argv[1]).load_app()
print(len(list(app.url_map.iter_rules())))' "$spec" 2>"$err")" || {
            cat "$err" >&2; rm -f "$err"; echo "FAILED to load $name" >&2; return 1; }
        n="$n (via ScriptInfo)"
    fi
    rm -f "$err"
    local want="${EXPECTED[$name]}"
    [[ "${n%% *}" == "$want" ]] || echo "WARNING: $name: $n routes, expected $want" >&2
    printf '%s\n' "$n"
}

declare -A COUNT=()
if (( CHECK )); then
    CHECK_TMP="$(mktemp -d)"
    trap 'rm -rf "$CHECK_TMP"' EXIT
    COUNT[httpbin]="$(count_routes httpbin "$CHECK_TMP" httpbin)"
    COUNT[flaskr]="$(count_routes flaskr "$FLASKR_DIR" flaskr)"
    COUNT[fab_crud]="$(count_routes fab_crud "$FAB_DIR" app)"
    COUNT[fsqla_blog]="$(count_routes fsqla_blog "$FSQLA_DIR" app \
        SQLALCHEMY_DATABASE_URI="sqlite:///$CHECK_TMP/fsqla.sqlite")"
fi
routes() { if (( CHECK )); then printf '%s routes' "${COUNT[$1]}"; else printf 'not checked'; fi; }

# ---------------------------------------------------------------- report
cat <<EOF

Third-party Flask apps ready ($((SECONDS - START)) s). Use the venv: source ${VENV#"$PWD"/}/bin/activate

httpbin ($HTTPBIN_REQ + $FLASGGER_REQ)                          [$(routes httpbin)]
  --app httpbin
  cwd:  any
  env:  none

flaskr (Flask $FLASK_VERSION sdist, examples/tutorial, pip install -e)    [$(routes flaskr)]
  --app flaskr
  cwd:  any ($FLASKR_DIR recommended)
  env:  none; DATABASE = $FLASKR_DIR/instance/flaskr.sqlite
        (override only via $FLASKR_DIR/instance/config.py: DATABASE = "...")
  schema: flask --app flaskr init-db

fab_crud_rest_api (Flask-AppBuilder $FAB_VERSION sdist, examples/crud_rest_api)  [$(routes fab_crud)]
  --app app
  cwd:  $FAB_DIR   (required: imports top-level 'config' and 'app')
  env:  none; DB is fixed in config.py: $FAB_DIR/app.db (create_all runs at import)
  user: flask --app app fab create-admin --username admin --firstname Admin --lastname User --email admin@example.com --password admin

fsqla_blog (Flask-Security $FSEC_VERSION sdist, examples/fsqlalchemy1)   [$(routes fsqla_blog)]
  --app app
  cwd:  $FSQLA_DIR   (required: top-level module 'app')
  env:  SQLALCHEMY_DATABASE_URI=sqlite:///$FSQLA_DB   (default sqlite:// = in-memory, no tables)
  schema+users: python -c 'from app import create_app, create_users; a = create_app(); a.app_context().push(); create_users()'
EOF
