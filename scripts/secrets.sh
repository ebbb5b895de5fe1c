# Sourced by scripts/run.sh. The staff console's token (STAFF_TOKEN) and Rasa's HTTP API token
# (RASA_AUTH_TOKEN) come from the environment; any that is unset is read from .run/secrets.env, where
# a random one is generated the first time (the file is gitignored, mode 600). No default secret.
secrets_file=.run/secrets.env
_new_secret() {
  if [[ -x .venv/bin/python ]]; then .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))'
  else head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; echo; fi
}
if [[ -z "${STAFF_TOKEN:-}" || -z "${RASA_AUTH_TOKEN:-}" ]]; then
  mkdir -p .run
  (umask 077 && touch "$secrets_file")
  chmod 600 "$secrets_file"
  for _name in STAFF_TOKEN RASA_AUTH_TOKEN; do
    [[ -n "${!_name:-}" ]] && continue
    _value=$(sed -n "s/^$_name=//p" "$secrets_file" | tail -n 1)
    if [[ -z "$_value" ]]; then
      _value=$(_new_secret)
      echo "$_name=$_value" >> "$secrets_file"
    fi
    printf -v "$_name" '%s' "$_value"
  done
  unset _name _value
  echo "tokens: STAFF_TOKEN (staff console) and RASA_AUTH_TOKEN (Rasa HTTP API) are in $PWD/$secrets_file"
fi
export STAFF_TOKEN RASA_AUTH_TOKEN
