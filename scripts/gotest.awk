# Reads `go test -json` and prints what plain `go test` prints: the package lines (ok, FAIL, build
# errors) and the output of each failing test. Each skipped test is appended, as one line
# "package Test: reason", to the file skipfile, and the counts "passed failed skipped" to countfile
# (set with -v by scripts/test.sh, as is module, the module path). POSIX awk: mawk and gawk run it.

# jstr returns the unescaped JSON string value of key in the one-line object s ("" when absent).
# A key's "quoted" name cannot occur inside a value, where quotes are escaped.
function jstr(s, key,   i, out, c, rest) {
  i = index(s, "\"" key "\":\"")
  if (i == 0) return ""
  rest = substr(s, i + length(key) + 4)
  out = ""
  while (match(rest, /["\\]/)) {
    out = out substr(rest, 1, RSTART - 1)
    if (substr(rest, RSTART, 1) == "\"") return out
    c = substr(rest, RSTART + 1, 1)
    if (c == "u") {
      c = hex(substr(rest, RSTART + 2, 4))
      out = out (c < 128 ? sprintf("%c", c) : "?")
      rest = substr(rest, RSTART + 6)
      continue
    }
    out = out (c == "n" ? "\n" : c == "t" ? "\t" : c == "r" ? "\r" : c)
    rest = substr(rest, RSTART + 2)
  }
  return out rest
}

function hex(h,   i, n) {
  for (i = 1; i <= 4; i++) n = n * 16 + index("0123456789abcdef", tolower(substr(h, i, 1))) - 1
  return n
}

# body drops the framing lines (=== RUN and the like) from a test's output.
function body(text,   n, i, lines, out) {
  n = split(text, lines, "\n")
  for (i = 1; i <= n; i++)
    if (lines[i] != "" && lines[i] !~ /^=== (RUN|PAUSE|CONT|NAME)/) out = out lines[i] "\n"
  return out
}

# reason is a skipped test's message on one line, without the "--- SKIP" line.
function reason(text,   n, i, lines, out) {
  n = split(body(text), lines, "\n")
  for (i = 1; i <= n; i++) {
    sub(/^[ \t]+/, "", lines[i])
    if (lines[i] != "" && lines[i] !~ /^--- SKIP/) out = out (out == "" ? "" : " ") lines[i]
  }
  return out == "" ? "(no reason given)" : out
}

function flush(text) { printf "%s", text; fflush() }

{
  action = jstr($0, "Action")
  test = jstr($0, "Test")
  pkg = jstr($0, "Package")
  if (pkg == "") pkg = jstr($0, "ImportPath")
  key = pkg " " test
}

test == "" {
  if (action == "output" || action == "build-output") {
    out = jstr($0, "Output")
    if (out != "PASS\n") flush(out)
  } else if (action == "fail") { # tests cut short by a panic or a timeout never report their end
    for (k in buf) if (index(k, pkg " ") == 1) { flush(body(buf[k])); delete buf[k] }
  }
  next
}

action == "output" { buf[key] = buf[key] jstr($0, "Output"); next }
action == "pass" { passed++; delete buf[key] }
action == "fail" { failed++; flush(body(buf[key])); delete buf[key] }
action == "skip" {
  skipped++
  name = index(pkg, module) == 1 ? substr(pkg, length(module) + 2) : pkg
  print (name == "" ? "." : name) " " test ": " reason(buf[key]) >>skipfile
  delete buf[key]
}

END { print passed + 0, failed + 0, skipped + 0 >>countfile }
