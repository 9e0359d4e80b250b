// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/zego-otel/zegoreceiver/internal/tooltest"
)

// The tests of deploy/: the Kubernetes manifests (TestDeploy*) and the image
// that `make image` builds (TestImage). Kubernetes itself is not needed: what can be checked
// without a cluster is checked against the manifests' text and with `otelcol-zego validate`.

const deployDir = "../deploy/kubernetes"

// deployEnv holds plausible values for what the manifests' collector configs, the chart's and
// the Operator's, and the image's default config read from the environment (in the cluster: the
// Secret, the ConfigMap and the downward API, which the chart sets as MY_POD_IP and OTEL_K8S_*;
// the image's default takes the ServerSecret from the environment).
var deployEnv = []string{
	"ZEGO_APP_ID=1234567890",
	"ZEGO_SERVER_SECRET=example-secret",
	"OTLP_ENDPOINT=https://otlp.example.com",
	"REDIS_ENDPOINT=redis.otelcol-zego.svc:6379",
	"REDIS_PASSWORD=",
	"POD_NAMESPACE=otelcol-zego",
	"MY_POD_IP=10.1.2.3",
	"OTEL_K8S_NAMESPACE=otelcol-zego",
	"OTEL_K8S_NODE_IP=10.0.0.4",
	"NODE_IP=10.0.0.4",
}

// yamlMap is one decoded YAML document; at walks it by keys (string) and indexes (int), returning
// nil when the path is not there.
type yamlMap = map[string]any

func yamlAt(v any, keys ...any) any {
	for _, p := range keys {
		switch k := p.(type) {
		case string:
			m, ok := v.(yamlMap)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func yamlStr(v any, keys ...any) string { s, _ := yamlAt(v, keys...).(string); return s }
func yamlList(v any, keys ...any) []any { s, _ := yamlAt(v, keys...).([]any); return s }

// readManifests decodes every document of every .yaml file in dir (readManifestFile).
func readManifests(t *testing.T, dir string) []yamlMap {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir, dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", dir, err)
	}
	var docs []yamlMap
	for _, file := range files {
		docs = append(docs, readManifestFile(t, file)...)
	}
	return docs
}

// readManifestFile decodes every document of a file; each must be a Kubernetes object
// (apiVersion, kind, metadata.name).
func readManifestFile(t *testing.T, file string) []yamlMap {
	t.Helper()
	raw, err := os.ReadFile(filepath.Clean(file))
	if err != nil {
		t.Fatal(err)
	}
	var docs []yamlMap
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for i := 0; ; i++ {
		var doc yamlMap
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s, document %d: %v", file, i, err)
		}
		if doc == nil {
			continue // an empty document
		}
		if yamlStr(doc, "apiVersion") == "" || yamlStr(doc, "kind") == "" || yamlStr(doc, "metadata", "name") == "" {
			t.Errorf("%s, document %d: not a Kubernetes object (apiVersion, kind, metadata.name)", file, i)
		}
		docs = append(docs, doc)
	}
	return docs
}

// theOne returns the object of that kind and name ("" for any name), failing unless there is exactly one.
func theOne(t *testing.T, docs []yamlMap, kind, name string) yamlMap {
	t.Helper()
	var out []yamlMap
	for _, d := range docs {
		if yamlStr(d, "kind") == kind && (name == "" || yamlStr(d, "metadata", "name") == name) {
			out = append(out, d)
		}
	}
	if len(out) != 1 {
		t.Fatalf("want one %s %q, found %d", kind, name, len(out))
	}
	return out[0]
}

// checkKinds compares the manifests' apiVersion/kind pairs with want (counted), and checks that
// every object but the Namespace lives in the Namespace.
func checkKinds(t *testing.T, docs []yamlMap, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, d := range docs {
		got[yamlStr(d, "apiVersion")+" "+yamlStr(d, "kind")]++
	}
	if !maps.Equal(got, want) {
		t.Errorf("apiVersion and kind of the manifests, counted: %v, want %v", got, want)
	}
	ns := yamlStr(theOne(t, docs, "Namespace", ""), "metadata", "name")
	for _, d := range docs {
		if yamlStr(d, "kind") != "Namespace" && yamlStr(d, "metadata", "namespace") != ns {
			t.Errorf("%s %s: namespace %q, want %q", yamlStr(d, "kind"), yamlStr(d, "metadata", "name"), yamlStr(d, "metadata", "namespace"), ns)
		}
	}
}

// workload is what checkWorkload found: the container's env names, and the collector config
// the container's --config points at, as text and decoded.
type workload struct {
	pod, container yamlMap
	env            []string
	configText     string
	config         yamlMap
}

// checkWorkload checks the one workload of that kind: replicas; the pod and container security
// settings; resources; the ZEGO credentials come from the Secret (the ServerSecret as a file of a
// read-only volume without subPath, which the kubelet updates), every configMapKeyRef names a
// key that exists; --config points into a volume mounted from the ConfigMap that holds that key;
// the probes hit health_check's port; the image is the one `make image` builds.
func checkWorkload(t *testing.T, docs []yamlMap, kind string, replicas int) workload {
	t.Helper()
	w := theOne(t, docs, kind, "")
	if n, _ := yamlAt(w, "spec", "replicas").(int); n != replicas {
		t.Errorf("%s: replicas %v, want %d", kind, yamlAt(w, "spec", "replicas"), replicas)
	}
	pod, _ := yamlAt(w, "spec", "template", "spec").(yamlMap)
	containers := yamlList(pod, "containers")
	if len(containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", kind, len(containers))
	}
	c := containers[0].(yamlMap)

	if yamlAt(pod, "securityContext", "runAsNonRoot") != true {
		t.Errorf("%s: securityContext.runAsNonRoot is not true", kind)
	}
	if uid, _ := yamlAt(pod, "securityContext", "runAsUser").(int); uid == 0 {
		t.Errorf("%s: securityContext.runAsUser is %v, want a non-root uid", kind, yamlAt(pod, "securityContext", "runAsUser"))
	}
	if yamlAt(c, "securityContext", "readOnlyRootFilesystem") != true || yamlAt(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Errorf("%s: the container needs readOnlyRootFilesystem: true and allowPrivilegeEscalation: false", kind)
	}
	for _, r := range []string{"requests", "limits"} {
		for _, res := range []string{"cpu", "memory"} {
			if yamlAt(c, "resources", r, res) == nil {
				t.Errorf("%s: no resources.%s.%s", kind, r, res)
			}
		}
	}

	var wl workload
	wl.pod, wl.container = pod, c
	secret := theOne(t, docs, "Secret", "")
	secretName := yamlStr(secret, "metadata", "name")
	fromSecret := map[string]bool{}
	for _, e := range yamlList(c, "env") {
		name := yamlStr(e, "name")
		wl.env = append(wl.env, name)
		if ref, ok := yamlAt(e, "valueFrom", "secretKeyRef").(yamlMap); ok {
			if yamlStr(ref, "name") != secretName || yamlAt(secret, "stringData", yamlStr(ref, "key")) == nil {
				t.Errorf("%s: env %s: secretKeyRef %v is not a key of the Secret %s", kind, name, ref, secretName)
			}
			fromSecret[name] = true
		}
		if ref, ok := yamlAt(e, "valueFrom", "configMapKeyRef").(yamlMap); ok {
			if yamlAt(theOne(t, docs, "ConfigMap", yamlStr(ref, "name")), "data", yamlStr(ref, "key")) == nil {
				t.Errorf("%s: env %s: configMapKeyRef %v is not a key of that ConfigMap", kind, name, ref)
			}
		}
	}
	if !fromSecret["ZEGO_APP_ID"] || slices.Contains(wl.env, "ZEGO_SERVER_SECRET") {
		t.Errorf("%s: env ZEGO_APP_ID must come from the Secret %s, and the ServerSecret must not be in the environment", kind, secretName)
	}

	// --config=<path> in args, and the ConfigMap mounted at its directory.
	var configPath string
	for _, a := range yamlList(c, "args") {
		if s, _ := a.(string); strings.HasPrefix(s, "--config=") {
			configPath = strings.TrimPrefix(s, "--config=")
		}
	}
	if configPath == "" {
		t.Fatalf("%s: no --config=<path> in the container's args %v", kind, yamlList(c, "args"))
	}
	for _, m := range yamlList(c, "volumeMounts") {
		if yamlStr(m, "mountPath") != path.Dir(configPath) {
			continue
		}
		for _, v := range yamlList(pod, "volumes") {
			if yamlStr(v, "name") == yamlStr(m, "name") {
				cm := theOne(t, docs, "ConfigMap", yamlStr(v, "configMap", "name"))
				wl.configText = yamlStr(cm, "data", path.Base(configPath))
			}
		}
	}
	if wl.configText == "" {
		t.Fatalf("%s: --config=%s is not a key of a ConfigMap mounted at %s", kind, configPath, path.Dir(configPath))
	}
	if err := yaml.Unmarshal([]byte(wl.configText), &wl.config); err != nil {
		t.Fatalf("%s: the collector config in the ConfigMap: %v", kind, err)
	}

	file := yamlStr(wl.config, "receivers", "zego", "server_secret_file")
	if !secretMountedWhole(yamlList(pod, "volumes"), yamlList(c, "volumeMounts"), secretName, file) {
		t.Errorf("%s: server_secret_file %q is not the Secret's ZEGO_SERVER_SECRET mounted read-only without subPath", kind, file)
	}

	// Every ${env:NAME} of the config is set in the container.
	for _, m := range regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(wl.configText, -1) {
		if !slices.Contains(wl.env, m[1]) {
			t.Errorf("%s: the config reads ${env:%s}, which the container does not set", kind, m[1])
		}
	}

	// The probes ask health_check, on the port its endpoint listens on.
	endpoint := yamlStr(wl.config, "extensions", "health_check", "endpoint")
	_, port, _ := strings.Cut(endpoint, ":")
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		p := yamlAt(c, probe, "httpGet", "port")
		for _, cp := range yamlList(c, "ports") {
			if yamlStr(cp, "name") == p {
				p = yamlAt(cp, "containerPort")
			}
		}
		if n, _ := p.(int); strconv.Itoa(n) != port {
			t.Errorf("%s: %s asks port %v, health_check listens on %q", kind, probe, yamlAt(c, probe, "httpGet", "port"), endpoint)
		}
	}

	if want := "/otelcol-zego:" + distVersion(t); !strings.HasSuffix(yamlStr(c, "image"), want) {
		t.Errorf("%s: image %q, want <registry>%s (what make image builds)", kind, yamlStr(c, "image"), want)
	}
	return wl
}

// secretMountedWhole reports whether file is the key ZEGO_SERVER_SECRET of the Secret secretName,
// mounted read-only as a whole volume: the kubelet updates such a file when the Secret changes,
// and never one mounted with subPath.
func secretMountedWhole(volumes, mounts []any, secretName, file string) bool {
	for _, m := range mounts {
		for _, v := range volumes {
			if yamlStr(v, "name") != yamlStr(m, "name") || yamlStr(v, "secret", "secretName") != secretName || yamlAt(m, "readOnly") != true || yamlAt(m, "subPath") != nil {
				continue
			}
			for _, item := range yamlList(v, "secret", "items") {
				if path.Join(yamlStr(m, "mountPath"), yamlStr(item, "path")) == file && yamlStr(item, "key") == "ZEGO_SERVER_SECRET" {
					return true
				}
			}
		}
	}
	return false
}

// distVersion is dist::version of builder-config.yaml, the image's tag.
func distVersion(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../builder-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m yamlMap
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return yamlStr(m, "dist", "version")
}

// validateConfig runs `otelcol-zego validate` on a collector config, with deployEnv.
func validateConfig(t *testing.T, bin string, config yamlMap) {
	t.Helper()
	file := writeYAML(t, config)
	cmd := exec.Command(bin, "validate", "--config", file) //nolint:gosec // G204: the distribution this test built
	cmd.Env = append(os.Environ(), deployEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		raw, _ := os.ReadFile(filepath.Clean(file))
		t.Errorf("otelcol-zego validate: %v\n%s\nconfig:\n%s", err, out, raw)
	}
}

// TestDeploySingleReplica checks deploy/kubernetes/single-replica, and that its collector config,
// as it is, passes `otelcol-zego validate`.
func TestDeploySingleReplica(t *testing.T) {
	docs := readManifests(t, "single-replica")
	checkKinds(t, docs, map[string]int{
		"v1 Namespace": 1, "v1 Secret": 1, "v1 ConfigMap": 1, "v1 Service": 1, "apps/v1 StatefulSet": 1,
	})
	w := checkWorkload(t, docs, "StatefulSet", 1)

	// The governing Service exists; file_storage keeps its files on the volumeClaimTemplate.
	sts := theOne(t, docs, "StatefulSet", "")
	theOne(t, docs, "Service", yamlStr(sts, "spec", "serviceName"))
	storage := yamlStr(w.config, "receivers", "zego", "storage")
	dir := yamlStr(w.config, "extensions", storage, "directory")
	if !strings.HasPrefix(storage, "file_storage") || dir == "" {
		t.Fatalf("receivers::zego::storage %q is not a file_storage extension with a directory", storage)
	}
	var claim string
	for _, m := range yamlList(w.container, "volumeMounts") {
		if yamlStr(m, "mountPath") == dir {
			claim = yamlStr(m, "name")
		}
	}
	found := false
	for _, vct := range yamlList(sts, "spec", "volumeClaimTemplates") {
		found = found || (claim != "" && yamlStr(vct, "metadata", "name") == claim)
	}
	if !found {
		t.Errorf("file_storage's directory %s is not a volumeClaimTemplate's mount", dir)
	}
	// fsGroup makes the volume writable by the non-root user.
	if yamlAt(w.pod, "securityContext", "fsGroup") == nil {
		t.Error("StatefulSet: no securityContext.fsGroup, so the volume may not be writable")
	}
	validateConfig(t, collectorBin, w.config)
	checkVersion(t, collectorBin) // the binary the image tag above names
}

// TestDeployHighlyAvailable checks deploy/kubernetes/highly-available, and its collector config in
// two parts. The stock otelcol-zego has neither k8s_leader_elector nor redis_storage (contrib's
// modules for them could not be resolved at v0.165 where the stock build is made), so validate
// cannot load their blocks: for those, the test checks the keys each one requires and that the
// receiver and the service use them. Then it removes the two blocks and every reference to them
// and runs validate on the rest.
func TestDeployHighlyAvailable(t *testing.T) {
	docs := readManifests(t, "highly-available")
	checkKinds(t, docs, map[string]int{
		"v1 Namespace": 1, "v1 Secret": 1, "v1 ConfigMap": 2, "v1 ServiceAccount": 1,
		"rbac.authorization.k8s.io/v1 Role": 1, "rbac.authorization.k8s.io/v1 RoleBinding": 1,
		"apps/v1 Deployment": 1,
	})
	w := checkWorkload(t, docs, "Deployment", 2)

	// The pods run as the ServiceAccount that the RoleBinding gives the Lease Role.
	sa := yamlStr(theOne(t, docs, "ServiceAccount", ""), "metadata", "name")
	if got := yamlStr(w.pod, "serviceAccountName"); got != sa {
		t.Errorf("Deployment: serviceAccountName %q, want %q", got, sa)
	}
	role := theOne(t, docs, "Role", "")
	rb := theOne(t, docs, "RoleBinding", "")
	if yamlStr(rb, "roleRef", "kind") != "Role" || yamlStr(rb, "roleRef", "name") != yamlStr(role, "metadata", "name") ||
		yamlStr(rb, "subjects", 0, "kind") != "ServiceAccount" || yamlStr(rb, "subjects", 0, "name") != sa {
		t.Errorf("RoleBinding does not bind Role %s to ServiceAccount %s: %v", yamlStr(role, "metadata", "name"), sa, rb)
	}
	var verbs []string
	for _, r := range yamlList(role, "rules") {
		if slices.Contains(yamlList(r, "apiGroups"), any("coordination.k8s.io")) && slices.Contains(yamlList(r, "resources"), any("leases")) {
			for _, v := range yamlList(r, "verbs") {
				verbs = append(verbs, v.(string))
			}
		}
	}
	for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
		if !slices.Contains(verbs, v) {
			t.Errorf("Role: no %q on coordination.k8s.io leases (has %v)", v, verbs)
		}
	}

	cfg := w.config
	elector, _ := yamlAt(cfg, "extensions", "k8s_leader_elector").(yamlMap)
	if yamlStr(elector, "auth_type") != "serviceAccount" || yamlStr(elector, "lease_name") == "" || yamlStr(elector, "lease_namespace") == "" {
		t.Errorf("extensions::k8s_leader_elector needs auth_type: serviceAccount, lease_name and lease_namespace: %v", elector)
	}
	if yamlStr(cfg, "extensions", "redis_storage", "endpoint") == "" {
		t.Errorf("extensions::redis_storage needs an endpoint: %v", yamlAt(cfg, "extensions", "redis_storage"))
	}
	zego, _ := yamlAt(cfg, "receivers", "zego").(yamlMap)
	if yamlStr(zego, "k8s_leader_elector") != "k8s_leader_elector" || yamlStr(zego, "storage") != "redis_storage" {
		t.Errorf("receivers::zego must use k8s_leader_elector and redis_storage: %v", zego)
	}
	service := yamlList(cfg, "service", "extensions")
	for _, ext := range []string{"k8s_leader_elector", "redis_storage"} {
		if !slices.Contains(service, any(ext)) {
			t.Errorf("service::extensions %v lacks %s", service, ext)
		}
	}

	validateHAConfig(t, cfg)
}

// haExtensions are the two contrib extensions the highly-available configs need and the stock
// otelcol-zego lacks (contrib's modules for them could not be resolved at v0.165 where the stock build
// is made).
var haExtensions = []string{"k8s_leader_elector", "redis_storage"}

// validateHAConfig runs `otelcol-zego validate` on a config that uses haExtensions: whole when the
// binary under test has both, and otherwise without them, every reference to them removed (what
// the stock binary can validate), saying so in the test's log. Never a skip: CI may skip nothing.
func validateHAConfig(t *testing.T, config yamlMap) {
	t.Helper()
	out, err := exec.Command(collectorBin, "components").Output()
	var components yamlMap
	if err == nil {
		err = yaml.Unmarshal(out, &components)
	}
	if err != nil {
		t.Fatalf("otelcol-zego components: %v\n%s", err, out)
	}
	var missing []string
	for _, ext := range haExtensions {
		if !slices.ContainsFunc(yamlList(components, "extensions"), func(c any) bool { return yamlStr(c, "name") == ext }) {
			missing = append(missing, ext)
		}
	}
	if len(missing) == 0 {
		validateConfig(t, collectorBin, config)
		return
	}
	t.Logf("this otelcol-zego has no %v: validating the config without %v", missing, haExtensions)
	var stripped yamlMap
	raw, _ := yaml.Marshal(config) // a deep copy: the caller's config stays whole
	if err := yaml.Unmarshal(raw, &stripped); err != nil {
		t.Fatal(err)
	}
	withoutHAExtensions(stripped)
	validateConfig(t, collectorBin, stripped)
}

// withoutHAExtensions removes haExtensions from cfg and every reference to them.
func withoutHAExtensions(cfg yamlMap) {
	exts, _ := yamlAt(cfg, "extensions").(yamlMap)
	service, _ := yamlAt(cfg, "service").(yamlMap)
	receivers, _ := yamlAt(cfg, "receivers").(yamlMap)
	for _, ext := range haExtensions {
		delete(exts, ext)
		if service != nil {
			service["extensions"] = slices.DeleteFunc(yamlList(service, "extensions"), func(v any) bool { return v == ext })
		}
		for _, r := range receivers {
			if r, ok := r.(yamlMap); ok {
				for k, v := range r {
					if v == ext {
						delete(r, k)
					}
				}
			}
		}
	}
}

// TestImage builds the image with `make image`'s script: a manifest list of linux/amd64 and
// linux/arm64. From each image it takes the binary (this sandbox, like many CI runners, cannot run
// a container): a static ELF of that architecture with the zego receiver's module in it; the
// image's labels carry the version, its user is not root, it has the CA bundle. The one of the
// host's architecture is run: its --version, its components (zego among them) and the image's
// default config. Needs buildah (scripts/ensure-buildah.sh installs it on CI).
func TestImage(t *testing.T) {
	buildah := tooltest.Path(t, "buildah", "Debian/Ubuntu: sudo apt-get install buildah, or sudo bash scripts/ensure-buildah.sh")
	const image = "localhost/otelcol-zego-e2e:test"
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...) //nolint:gosec // G204: buildah, found by tooltest, with the test's own arguments
		cmd.Dir = ".."
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
		}
		return strings.TrimSpace(string(out))
	}

	build := exec.Command("bash", "scripts/image.sh")
	build.Dir = ".."
	build.Env = append(os.Environ(), "IMAGE="+image)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("scripts/image.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(buildah, "manifest", "rm", image).Run() })

	var list struct {
		Manifests []struct {
			Digest   string
			Platform struct{ OS, Architecture string }
		}
	}
	if err := json.Unmarshal([]byte(run(buildah, "manifest", "inspect", image)), &list); err != nil {
		t.Fatal(err)
	}
	machines := map[string]elf.Machine{"linux/amd64": elf.EM_X86_64, "linux/arm64": elf.EM_AARCH64}
	for _, m := range list.Manifests {
		platform := m.Platform.OS + "/" + m.Platform.Architecture
		machine, ok := machines[platform]
		if !ok {
			t.Errorf("the manifest list names %s, want only %v", platform, slices.Sorted(maps.Keys(machines)))
			continue
		}
		delete(machines, platform)
		ref := strings.TrimSuffix(image, ":test") + "@" + m.Digest
		t.Cleanup(func() { _ = exec.Command(buildah, "rmi", "-f", ref).Run() }) //nolint:gosec // G204: buildah on the image this test built
		format := `{{.OCIv1.Config.User}} {{index .OCIv1.Config.Labels "org.opencontainers.image.version"}}`
		if user, version, _ := strings.Cut(run(buildah, "inspect", "--type", "image", "--format", format, ref), " "); !nonRoot(user) || version != distVersion(t) {
			t.Errorf("%s: user %q, version label %q: want a numeric non-root uid and %s", platform, user, version, distVersion(t))
		}
		ctr := run(buildah, "from", "--pull-never", ref)
		t.Cleanup(func() { _ = exec.Command(buildah, "rm", ctr).Run() }) //nolint:gosec // G204: buildah on the container this test made
		root := run(buildah, "mount", ctr)
		t.Cleanup(func() { _ = exec.Command(buildah, "umount", ctr).Run() }) //nolint:gosec // G204: buildah on the container this test made
		if info, statErr := os.Stat(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); statErr != nil || info.Size() == 0 {
			t.Errorf("%s: the image has no CA bundle: %v", platform, statErr)
		}

		bin := filepath.Join(root, "otelcol-zego")
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		if f.Machine != machine {
			t.Errorf("%s: the image's otelcol-zego is for %v, want %v", platform, f.Machine, machine)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("%s: the image's otelcol-zego is dynamically linked (%v program header)", platform, p.Type)
			}
		}
		_ = f.Close()
		info, err := buildinfo.ReadFile(bin)
		if err != nil || !slices.ContainsFunc(info.Deps, func(d *debug.Module) bool { return d.Path == "github.com/zego-otel/zegoreceiver" }) {
			t.Errorf("%s: the image's otelcol-zego has no github.com/zego-otel/zegoreceiver module (%v)", platform, err)
		}
		if m.Platform.Architecture == runtime.GOARCH {
			checkHostBinary(t, bin, root)
		}
	}
	if len(machines) > 0 {
		t.Errorf("the manifest list lacks %v", slices.Sorted(maps.Keys(machines)))
	}
}

// checkHostBinary runs an image's otelcol-zego: its --version is dist.version, it lists the zego
// receiver and validates the image's default config.
func checkHostBinary(t *testing.T, bin, root string) {
	t.Helper()
	checkVersion(t, bin)
	out, err := exec.Command(bin, "components").Output()
	var components yamlMap
	if err == nil {
		err = yaml.Unmarshal(out, &components)
	}
	if err != nil || !slices.ContainsFunc(yamlList(components, "receivers"), func(r any) bool { return yamlStr(r, "name") == "zego" }) {
		t.Errorf("the image's otelcol-zego lists no zego receiver (%v):\n%s", err, out)
	}
	var config yamlMap
	raw, err := os.ReadFile(filepath.Clean(filepath.Join(root, "etc/otelcol-zego/config.yaml")))
	if err == nil {
		err = yaml.Unmarshal(raw, &config)
	}
	if err != nil {
		t.Fatalf("the image's default config: %v", err)
	}
	validateConfig(t, bin, config)
}

// checkVersion: `otelcol-zego --version` names dist.version.
func checkVersion(t *testing.T, bin string) {
	t.Helper()
	if out, err := exec.Command(bin, "--version").Output(); err != nil || strings.TrimSpace(string(out)) != "otelcol-zego version "+distVersion(t) {
		t.Errorf("%s --version: %q (%v), want otelcol-zego version %s", bin, out, err, distVersion(t))
	}
}

// nonRoot reports whether an image's user ("uid" or "uid:gid") is a numeric uid other than 0:
// Kubernetes' runAsNonRoot can only check a numeric one.
func nonRoot(user string) bool {
	uid, _, _ := strings.Cut(user, ":")
	n, err := strconv.Atoi(uid)
	return err == nil && n != 0
}
