package custos.ci.shell_test

import data.custos.ci.shell
import rego.v1

ref := `\$\{?TOKEN\b`

test_printing_reaches_the_log if {
	shell.prints(`echo $TOKEN`, ref)
	shell.prints(`echo "token is ${TOKEN}"`, ref)
	shell.prints(`printf '%s\n' "$TOKEN"`, ref)
	shell.prints(`echo $TOKEN | base64`, ref)
	shell.prints(`echo $TOKEN | tee token.txt`, ref)
	shell.prints(`echo $TOKEN >&2`, ref)
	shell.prints(`echo $TOKEN > /dev/stderr`, ref)
	shell.prints(`echo $TOKEN; make build`, ref)
	shell.prints(`echo $TOKEN && make build`, ref)
}

test_using_is_not_printing if {
	not shell.prints(`echo "$TOKEN" | docker login -u ci --password-stdin`, ref)
	not shell.prints(`echo $TOKEN | kubectl create secret generic x --from-file=t=/dev/stdin`, ref)
	not shell.prints(`printf '%s' "$TOKEN" > token.txt`, ref)
	not shell.prints(`echo "TOKEN=$TOKEN" >> "$GITHUB_ENV"`, ref)
	not shell.prints(`echo $TOKEN | base64 -d > key.pem`, ref)
	not shell.prints(`echo "::add-mask::$TOKEN"`, ref)
	not shell.prints(`curl -H "Authorization: $TOKEN" https://x`, ref)
	not shell.prints(`echo building`, ref)
}

test_lines_of_any_value if {
	shell.lines("a\nb") == ["a", "b"]
	shell.lines(null) == []
	shell.lines(["a"]) == []
	shell.lines(5) == []
	not shell.prints(5, ref)
}
