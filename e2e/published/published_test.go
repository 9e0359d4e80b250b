// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

// Package published builds the receiver as a platform team consumes it: a published module at its
// tag, in a Collector Builder manifest of the team's own, beside the components they already run.
// Every other build in this project names the receiver with `path: ./`, which bypasses how Go
// resolves a dependency (its go.mod, go.sum and minimum versions meeting the team's); this one
// serves the checkout as the module version the team's manifest names (the release's:
// TestOneVersion) from a local module proxy and builds with nothing resolved by path and no
// replace directive.
//
// `make test-published` runs it (and `make test` and `make test-e2e` do); it needs the builder
// that `make build` installs in .tools. Cold (nothing compiled yet) the build takes many minutes.
package published

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/zip"

	"github.com/zego-otel/zegoreceiver/internal/tooltest"
)

const modulePath = "github.com/zego-otel/zegoreceiver"

// manifest is the part of a Collector Builder manifest this test reads.
type manifest struct {
	Dist struct {
		Name       string `yaml:"name"`
		Version    string `yaml:"version"`
		OutputPath string `yaml:"output_path"`
	} `yaml:"dist"`
	Receivers  []component `yaml:"receivers"`
	Processors []component `yaml:"processors"`
	Exporters  []component `yaml:"exporters"`
	Extensions []component `yaml:"extensions"`
	Connectors []component `yaml:"connectors"`
	Providers  []component `yaml:"providers"`
	Replaces   []string    `yaml:"replaces"`
}

type component struct {
	Gomod string `yaml:"gomod"`
	Path  string `yaml:"path"`
}

func readManifest(t *testing.T, path string) manifest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func (m manifest) components() []component {
	return slices.Concat(m.Receivers, m.Processors, m.Exporters, m.Extensions, m.Connectors, m.Providers)
}

// TestConsumedAsPublished builds testdata/builder-config.yaml, a platform team's manifest that
// names the receiver at its tag, against this checkout served as that version by a local module
// proxy, with the Collector Builder's strict versioning on (every component resolves to the version
// its manifest line names). Then: the team's go.mod requires the receiver at the tag with no
// replace, the module the build used is the zip served by this run, the receiver's requirements
// put no collector module of another release into the team's graph and raise no module the team's
// components require, and the binary lists zego and validates a config using it with the others.
func TestConsumedAsPublished(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	builder := filepath.Join(root, ".tools", "builder")
	if _, err = os.Stat(builder); err != nil {
		t.Fatalf("the Collector Builder is missing (%v): `make test-published` (or `make build`) installs it", err)
	}
	git := tooltest.Path(t, "git", "apt-get install git")
	goEnv := goEnvironment(t)
	if goEnv["GOPROXY"] == "off" {
		skipUnlessCI(t, "GOPROXY=off: the team's components come from the module proxy")
	}

	team := readManifest(t, filepath.Join("testdata", "builder-config.yaml"))
	version := ""                 // the receiver's, as the team names it (TestOneVersion: the release's)
	releases := map[string]bool{} // the versions of the team's other components: one collector release
	for _, c := range team.components() {
		path, v, _ := strings.Cut(c.Gomod, " ")
		if c.Path != "" {
			t.Errorf("testdata/builder-config.yaml: %s has path %q: a published module is consumed without one", path, c.Path)
		}
		if path == modulePath {
			version = v
		} else {
			releases[v] = true
		}
	}
	if !semver.IsValid(version) || len(team.Replaces) > 0 {
		t.Fatalf("testdata/builder-config.yaml: want the receiver named at its tag and no replaces, got %q and replaces %v", version, team.Replaces)
	}

	work := t.TempDir()
	proxy := filepath.Join(work, "proxy")
	served := serveModule(t, git, root, proxy, version)

	// A module cache of this run's own: a clean machine's, and never one that still holds the
	// version served by an earlier run (a cache keeps the first zip of a version it sees). The
	// shared cache's downloads are the second proxy, so the collector's modules are unpacked from
	// it rather than fetched again; with -trimpath (the builder's) the build cache still applies.
	modcache := filepath.Join(work, "modcache")
	env := []string{
		"GOMODCACHE=" + modcache,
		"GOFLAGS=" + strings.TrimSpace(goEnv["GOFLAGS"]+" -modcacherw"), // so that t.TempDir can remove it
		"GOPROXY=" + strings.Join([]string{"file://" + proxy, "file://" + filepath.Join(goEnv["GOMODCACHE"], "cache", "download"), goEnv["GOPROXY"]}, ","),
		// Not in the public checksum database: only this module's sum goes unchecked (GOPRIVATE
		// would also bypass the proxy, which is the point of the test).
		"GONOSUMDB=" + strings.Trim(goEnv["GONOSUMDB"]+","+modulePath, ","),
		"GOWORK=off",
	}

	raw, err := os.ReadFile(filepath.Join("testdata", "builder-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err = os.WriteFile(filepath.Join(work, "builder-config.yaml"), raw, 0o600); err != nil { //nolint:gosec // G703: a file in the test's own temporary folder
		t.Fatal(err)
	}
	start := time.Now()
	run(t, work, env, 60*time.Minute, builder, "--config", "builder-config.yaml", "--skip-strict-versioning=false")
	t.Logf("the builder generated and compiled %s (%d components) in %s", team.Dist.Name, len(team.components()), time.Since(start).Round(time.Second))
	dist := filepath.Join(work, team.Dist.OutputPath)

	gomod, err := os.ReadFile(filepath.Join(dist, "go.mod")) //nolint:gosec // G304: the go.mod the builder generated in the test's temporary folder
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(mf.Replace) > 0 {
		t.Errorf("the team's go.mod has replace directives: %v", mf.Replace)
	}
	if !slices.ContainsFunc(mf.Require, func(r *modfile.Require) bool { return r.Mod == module.Version{Path: modulePath, Version: version} }) {
		t.Errorf("the team's go.mod does not require %s %s:\n%s", modulePath, version, gomod)
	}

	var used struct{ Sum, Dir string }
	if err = json.Unmarshal(run(t, dist, env, 5*time.Minute, "go", "mod", "download", "-json", modulePath+"@"+version), &used); err != nil {
		t.Fatal(err)
	}
	if used.Sum != served || !strings.HasPrefix(used.Dir, modcache+string(filepath.Separator)) {
		t.Errorf("the build used %s %s with sum %s from %s, not the zip served by this run (%s)", modulePath, version, used.Sum, used.Dir, served)
	}

	for _, problem := range graphProblems(run(t, dist, env, 5*time.Minute, "go", "mod", "graph"), run(t, dist, env, 5*time.Minute, "go", "list", "-m", "all"), modulePath+"@"+version, releases) {
		t.Error(problem)
	}

	bin := filepath.Join(dist, team.Dist.Name)
	var components struct {
		Receivers []struct{ Name, Module string }
	}
	if err = yaml.Unmarshal(run(t, dist, nil, time.Minute, bin, "components"), &components); err != nil {
		t.Fatal(err)
	}
	want := modulePath + " " + version
	if !slices.ContainsFunc(components.Receivers, func(r struct{ Name, Module string }) bool { return r.Name == "zego" && r.Module == want }) {
		t.Errorf("%s components lists no receiver zego from %s: %+v", team.Dist.Name, want, components.Receivers)
	}

	secret := filepath.Join(work, "zego-secret")
	if err = os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	validateEnv := []string{"ZEGO_APP_ID=1234567890", "ZEGO_SECRET_FILE=" + secret, "STATE_DIR=" + t.TempDir()}
	config, err := filepath.Abs(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, dist, validateEnv, time.Minute, bin, "validate", "--config", config)
}

// serveModule writes into dir the module proxy files (go help goproxy) that serve the checkout at
// root as modulePath at version, and returns the zip's hash as go.sum records it. The zip holds
// what a release of the checkout as it stands would: the files git tracks or would track (not
// those .gitignore names, such as bin/ or .tools/), less what golang.org/x/mod/zip leaves out of
// every module zip, as the Go module proxy does: the nested modules (deploy/datadog,
// internal/tools), vendor directories, symbolic links.
func serveModule(t *testing.T, git, root, dir, version string) string {
	t.Helper()
	if _, err := exec.Command(git, "-C", root, "rev-parse", "--git-dir").Output(); err != nil { //nolint:gosec // G204: git, in the checkout under test
		skipUnlessCI(t, "needs a git checkout, to know which files a release of the module holds")
	}
	listed, err := exec.Command(git, "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output() //nolint:gosec // G204: git, in the checkout under test
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var files []zip.File
	for name := range strings.SplitSeq(strings.TrimSuffix(string(listed), "\x00"), "\x00") {
		if _, statErr := os.Lstat(filepath.Join(root, name)); statErr == nil { // a tracked file deleted in the work tree is not listed
			files = append(files, checkoutFile{root: root, name: name})
		}
	}
	at := filepath.Join(dir, filepath.FromSlash(modulePath), "@v")
	if err = os.MkdirAll(at, 0o750); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(at, version+".zip")
	var buf bytes.Buffer
	if err = zip.Create(&buf, module.Version{Path: modulePath, Version: version}, files); err != nil {
		t.Fatalf("the module zip of %s: %v", root, err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod")) //nolint:gosec // G304: the go.mod of the checkout under test
	if err != nil {
		t.Fatal(err)
	}
	info, err := json.Marshal(struct{ Version, Time string }{version, time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{archive: buf.Bytes(), filepath.Join(at, version+".mod"): gomod, filepath.Join(at, version+".info"): info, filepath.Join(at, "list"): []byte(version + "\n")} {
		if err = os.WriteFile(name, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := dirhash.HashZip(archive, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("serving %s %s: %d files, %d bytes zipped, %s", modulePath, version, len(files), buf.Len(), sum)
	return sum
}

// checkoutFile is a file of the checkout, as golang.org/x/mod/zip.Create takes it.
type checkoutFile struct{ root, name string }

func (f checkoutFile) Path() string                { return f.name }
func (f checkoutFile) Lstat() (os.FileInfo, error) { return os.Lstat(filepath.Join(f.root, f.name)) }

func (f checkoutFile) Open() (io.ReadCloser, error) { return os.Open(filepath.Join(f.root, f.name)) }

// graphProblems reads the team's module graph (`go mod graph`) and the versions selected in it
// (`go list -m all`) and names what the receiver, the node ours (path@version), does to it that a
// team would not want: a collector module it requires at a version that is not one of releases
// (the team's collector release: a requirement of another release, such as a tool's, leaking into
// the team's graph and go.sum), and any module whose selected version the receiver alone requires
// while the team's other modules require it lower (the receiver dragging it up).
func graphProblems(graph, selected []byte, ours string, releases map[string]bool) []string {
	chosen := map[string]string{}
	for line := range strings.Lines(string(selected)) {
		if fields := strings.Fields(line); len(fields) >= 2 {
			chosen[fields[0]] = fields[1]
		}
	}
	required := map[string]map[string]string{} // module path -> requiring node -> version required
	for line := range strings.Lines(string(graph)) {
		from, to, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		path, version, _ := strings.Cut(to, "@")
		if required[path] == nil {
			required[path] = map[string]string{}
		}
		required[path][from] = version
	}
	var problems []string
	for path, by := range required {
		version, ok := by[ours]
		if !ok {
			continue
		}
		collector := strings.HasPrefix(path, "go.opentelemetry.io/collector") || strings.HasPrefix(path, "github.com/open-telemetry/opentelemetry-collector-contrib")
		if collector && !releases[version] {
			problems = append(problems, fmt.Sprintf("the receiver requires %s %s, not at the team's collector release (%s): it is in their module graph and go.sum", path, version, strings.Join(slices.Sorted(maps.Keys(releases)), ", ")))
		}
		highestOther := ""
		for from, v := range by {
			if from != ours && (highestOther == "" || semver.Compare(v, highestOther) > 0) {
				highestOther = v
			}
		}
		if highestOther != "" && chosen[path] == version && semver.Compare(version, highestOther) > 0 {
			problems = append(problems, fmt.Sprintf("the receiver drags %s from %s (the most any other module requires) up to %s: lower its requirement in go.mod", path, highestOther, version))
		}
	}
	slices.Sort(problems)
	return problems
}

// run runs name with args in dir, with env over this process's environment, and returns its
// standard output; on failure it ends the test with the command's output.
func run(t *testing.T, dir string, env []string, timeout time.Duration, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...) //nolint:gosec // G204: the builder, go and the distribution this test built
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s%s", name, strings.Join(args, " "), dir, err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}

// goEnvironment returns the go command's settings this test builds on.
func goEnvironment(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "env", "-json", "GOPROXY", "GOMODCACHE", "GOFLAGS", "GONOSUMDB").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	env := map[string]string{}
	if err := json.Unmarshal(out, &env); err != nil {
		t.Fatal(err)
	}
	return env
}

// skipUnlessCI skips the test, saying why, except under CI (CI=true), where nothing may be skipped.
func skipUnlessCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; under CI nothing may be skipped", why)
	}
	t.Skip(why)
}

// TestGraphProblems: graphProblems names a requirement of another collector release (mdatagen
// v0.159.0, which the receiver's go.mod carried as a tool) and a module the receiver alone raises,
// and nothing where the receiver requires what the team's modules require anyway.
func TestGraphProblems(t *testing.T) {
	const ours = modulePath + "@v0.1.0"
	graph := `example.com/team ` + ours + `
example.com/team go.opentelemetry.io/collector/component@v1.71.0
example.com/team golang.org/x/net@v0.62.0
` + ours + ` go.opentelemetry.io/collector/component@v1.71.0
` + ours + ` go.opentelemetry.io/collector/cmd/mdatagen@v0.159.0
` + ours + ` golang.org/x/net@v0.60.0
` + ours + ` golang.org/x/text@v0.43.0
go.opentelemetry.io/collector/component@v1.71.0 golang.org/x/text@v0.40.0
`
	selected := `example.com/team
go.opentelemetry.io/collector/component v1.71.0
go.opentelemetry.io/collector/cmd/mdatagen v0.159.0
golang.org/x/net v0.62.0
golang.org/x/text v0.43.0
` + modulePath + ` v0.1.0
`
	got := graphProblems([]byte(graph), []byte(selected), ours, map[string]bool{"v0.165.0": true, "v1.71.0": true})
	want := []string{
		"the receiver drags golang.org/x/text from v0.40.0 (the most any other module requires) up to v0.43.0: lower its requirement in go.mod",
		"the receiver requires go.opentelemetry.io/collector/cmd/mdatagen v0.159.0, not at the team's collector release (v0.165.0, v1.71.0): it is in their module graph and go.sum",
	}
	if !slices.Equal(got, want) {
		t.Errorf("graphProblems:\n got %q\nwant %q", got, want)
	}
}
