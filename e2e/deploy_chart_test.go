// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The tests of deploy/helm (values for the official opentelemetry-collector chart) and
// deploy/operator (OpenTelemetryCollector resources for the OpenTelemetry Operator). Neither the
// chart nor the Operator can be fetched in CI, so what they do with these files is reproduced
// here, from reading them (chart 0.170.0: values.yaml, values.schema.json, templates/_config.tpl,
// _pod.tpl, statefulset.yaml; Operator v0.158.0: apis/v1beta1, the CRD in config/crd/bases,
// internal/webhook/collector_webhook.go, internal/manifests/collector/container.go), and the
// collector config each one ends up with is run through `otelcol-zego validate`.

// chartTopLevelKeys are the properties of the chart's values.schema.json, which has
// additionalProperties: false at the top: helm refuses any other key.
var chartTopLevelKeys = []string{
	"additionalLabels", "affinity", "alternateConfig", "annotations", "apiVersion", "autoscaling",
	"clusterRole", "command", "config", "configMap", "dnsConfig", "dnsPolicy",
	"enableConfigChecksumAnnotation", "enabled", "extraContainers", "extraEnvs", "extraEnvsFrom",
	"extraManifests", "extraVolumeMounts", "extraVolumes", "fullnameOverride", "global", "hostAliases",
	"hostNetwork", "hostPID", "httproute", "image", "imagePullSecrets", "ingress", "initContainers",
	"internalTelemetryViaOTLP", "lifecycleHooks", "livenessProbe", "mode", "nameOverride",
	"namespaceOverride", "networkPolicy", "nodeSelector", "podAnnotations", "podDisruptionBudget",
	"podLabels", "podMonitor", "podSecurityContext", "ports", "presets", "priorityClassName",
	"prometheusRule", "readinessProbe", "replicaCount", "resizePolicy", "resources",
	"revisionHistoryLimit", "rewriteDeprecatedComponentNames", "rollout", "runtimeClassName",
	"schedulerName", "securityContext", "service", "serviceAccount", "serviceMonitor",
	"shareProcessNamespace", "startupProbe", "statefulset", "terminationGracePeriodSeconds",
	"tolerations", "topologySpreadConstraints", "useGOMEMLIMIT",
}

// chartClosedObjects are the schema's objects with additionalProperties: false that these values
// use, with their keys ("*" for each entry of a map).
var chartClosedObjects = map[string][]string{
	"image":          {"registry", "repository", "tag", "digest", "pullPolicy"},
	"command":        {"name", "extraArgs"},
	"serviceAccount": {"create", "annotations", "name", "automountServiceAccountToken"},
	"clusterRole":    {"create", "annotations", "name", "rules", "clusterRoleBinding"},
	"ports.*":        {"enabled", "containerPort", "servicePort", "hostPort", "nodePort", "protocol", "appProtocol"},
}

// chartDefaultPorts are the chart's default ports (values.yaml) and whether each is on: a values
// file that does not turn one off opens it on the pod and the Service.
var chartDefaultPorts = map[string]struct {
	port    int
	enabled bool
}{
	"otlp": {4317, true}, "otlp-http": {4318, true}, "jaeger-compact": {6831, true},
	"jaeger-thrift": {14268, true}, "jaeger-grpc": {14250, true}, "zipkin": {9411, true},
	"metrics": {8888, false},
}

// chartEnv is what the chart's pod template sets in the collector's environment before extraEnvs.
var chartEnv = []string{"MY_POD_IP", "OTEL_K8S_NODE_NAME", "OTEL_K8S_NODE_IP", "OTEL_K8S_NAMESPACE", "OTEL_K8S_POD_NAME", "OTEL_K8S_POD_IP", "GOMEMLIMIT"}

// chartProbePort is the port of the chart's default liveness and readiness probes.
const chartProbePort = 13133

// chartConfig is the collector config the chart renders into its ConfigMap (no preset enabled):
// alternateConfig whole when it is set, or else config merged over the chart's defaults.
// existing stands for those defaults: a test passes what a release had before.
func chartConfig(values, existing yamlMap) yamlMap {
	if alt, _ := yamlAt(values, "alternateConfig").(yamlMap); len(alt) > 0 {
		return alt
	}
	cfg, _ := yamlAt(values, "config").(yamlMap)
	return helmMerge(existing, cfg)
}

// helmMerge merges src over dst as helm merges values: maps key by key, a null deletes the key,
// anything else (lists included) replaces. It returns a new map; dst is left as it was.
func helmMerge(dst, src yamlMap) yamlMap {
	out := yamlMap{}
	maps.Copy(out, dst)
	for k, v := range src {
		switch v := v.(type) {
		case nil:
			delete(out, k)
		case yamlMap:
			d, _ := out[k].(yamlMap)
			out[k] = helmMerge(d, v)
		default:
			out[k] = v
		}
	}
	return out
}

func readYAML(t *testing.T, file string) yamlMap {
	t.Helper()
	raw, err := os.ReadFile(filepath.Clean(file))
	if err != nil {
		t.Fatal(err)
	}
	var m yamlMap
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
}

// checkChartKeys fails on a key the chart's schema refuses.
func checkChartKeys(t *testing.T, file string, values yamlMap) {
	t.Helper()
	for k := range values {
		if !slices.Contains(chartTopLevelKeys, k) {
			t.Errorf("%s: %q is not a value of the chart (values.schema.json refuses it)", file, k)
		}
	}
	for obj, keys := range chartClosedObjects {
		parent, each, _ := strings.Cut(obj, ".")
		objects := map[string]any{parent: yamlAt(values, parent)}
		if each == "*" {
			objects, _ = yamlAt(values, parent).(yamlMap)
		}
		for name, o := range objects {
			m, _ := o.(yamlMap)
			for k := range m {
				if !slices.Contains(keys, k) {
					t.Errorf("%s: %s.%s is not a key the chart's schema allows (%v)", file, name, k, keys)
				}
			}
		}
	}
}

// listenPorts are the ports a collector config listens on: health_check's, the internal
// telemetry's Prometheus reader's, and the endpoints of receivers and of prometheus exporters.
func listenPorts(cfg yamlMap) []int {
	var ports []int
	add := func(endpoint string) {
		if i := strings.LastIndex(endpoint, ":"); i >= 0 {
			if p, err := strconv.Atoi(endpoint[i+1:]); err == nil {
				ports = append(ports, p)
			}
		}
	}
	add(yamlStr(cfg, "extensions", "health_check", "endpoint"))
	for _, r := range yamlList(cfg, "service", "telemetry", "metrics", "readers") {
		if p, ok := yamlAt(r, "pull", "exporter", "prometheus", "port").(int); ok {
			ports = append(ports, p)
		}
	}
	for name, e := range yamlAt(cfg, "exporters").(yamlMap) {
		if strings.HasPrefix(name, "prometheus") && !strings.HasPrefix(name, "prometheusremotewrite") {
			add(yamlStr(e, "endpoint"))
		}
	}
	receivers, _ := yamlAt(cfg, "receivers").(yamlMap)
	for _, r := range receivers {
		add(yamlStr(r, "endpoint"))
		for _, p := range []string{"grpc", "http"} {
			add(yamlStr(r, "protocols", p, "endpoint"))
		}
	}
	return ports
}

// checkOnePoller: a config run by several pods at once (a DaemonSet, or more than one replica)
// gives every zego receiver a k8s_leader_elector and a storage all pods share; otherwise each
// pod polls the App ID, doubling the calls and delivering every point twice.
func checkOnePoller(t *testing.T, file, mode string, replicas int, cfg yamlMap) {
	t.Helper()
	if mode != "daemonset" && replicas <= 1 {
		return
	}
	receivers, _ := yamlAt(cfg, "receivers").(yamlMap)
	service := yamlList(cfg, "service", "extensions")
	for name, r := range receivers {
		if name != "zego" && !strings.HasPrefix(name, "zego/") {
			continue
		}
		elector, storage := yamlStr(r, "k8s_leader_elector"), yamlStr(r, "storage")
		if !strings.HasPrefix(elector, "k8s_leader_elector") || yamlAt(cfg, "extensions", elector) == nil || !slices.Contains(service, any(elector)) {
			t.Errorf("%s: %s pods (mode %s) would each poll: receivers::%s needs a k8s_leader_elector extension that the service runs, has %q", file, strconv.Itoa(replicas), mode, name, elector)
		}
		if storage == "" || strings.HasPrefix(storage, "file_storage") || yamlAt(cfg, "extensions", storage) == nil || !slices.Contains(service, any(storage)) {
			t.Errorf("%s: receivers::%s needs a storage the pods share (redis_storage), has %q: a new leader would resume from a checkpoint of its own", file, name, storage)
		}
	}
}

// checkEnvSet: every ${env:NAME} of the config is set in the container.
func checkEnvSet(t *testing.T, file string, cfg yamlMap, env []string) {
	t.Helper()
	raw, _ := yaml.Marshal(cfg)
	for _, m := range regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(string(raw), -1) {
		if !slices.Contains(env, m[1]) {
			t.Errorf("%s: the config reads ${env:%s}, which the container does not set", file, m[1])
		}
	}
}

// checkStorageOnClaim: the file_storage that receivers::zego uses keeps its files on a mount of
// one of the volumeClaimTemplates, so the checkpoint outlives the pod.
func checkStorageOnClaim(t *testing.T, file string, cfg yamlMap, mounts, claims []any) {
	t.Helper()
	storage := yamlStr(cfg, "receivers", "zego", "storage")
	dir := yamlStr(cfg, "extensions", storage, "directory")
	if !strings.HasPrefix(storage, "file_storage") || dir == "" {
		t.Fatalf("%s: receivers::zego::storage %q is not a file_storage extension with a directory", file, storage)
	}
	for _, m := range mounts {
		if yamlStr(m, "mountPath") != dir {
			continue
		}
		for _, c := range claims {
			if yamlStr(c, "metadata", "name") == yamlStr(m, "name") {
				return
			}
		}
	}
	t.Errorf("%s: file_storage's directory %s is not the mount of a volumeClaimTemplate", file, dir)
}

// checkLikeRawManifests: resources and security settings are those of the raw manifests' workload.
func checkLikeRawManifests(t *testing.T, file string, got yamlMap, kind, dir string) {
	t.Helper()
	w := theOne(t, readManifests(t, dir), kind, "")
	pod := yamlAt(w, "spec", "template", "spec")
	want := map[string]any{
		"resources":          yamlAt(pod, "containers", 0, "resources"),
		"securityContext":    yamlAt(pod, "containers", 0, "securityContext"),
		"podSecurityContext": yamlAt(pod, "securityContext"),
	}
	for key, w := range want {
		g, _ := yaml.Marshal(yamlAt(got, key))
		wr, _ := yaml.Marshal(w)
		if string(g) != string(wr) {
			t.Errorf("%s: %s differs from deploy/kubernetes/%s's %s:\n%s\nwant:\n%s", file, key, dir, kind, g, wr)
		}
	}
}

// workloadCase is a file that deploys the collector, and what it must be: the chart's or the
// Operator's mode, the raw manifests' folder and workload it must match, and how many pods poll.
type workloadCase struct {
	file, mode, rawDir, rawKind string
	replicas                    int
}

// chartValues are the two values files for a release of our own.
var chartValues = []workloadCase{
	{"values.yaml", "statefulset", "single-replica", "StatefulSet", 1},
	{"values-ha.yaml", "deployment", "highly-available", "Deployment", 2},
}

// TestChartValues checks deploy/helm/values.yaml and values-ha.yaml as the chart would take them:
// only keys its schema allows; the config is alternateConfig, which the chart takes whole (its
// default config has receivers otelcol-zego lacks), and it passes `otelcol-zego validate`; every
// port the chart would open is one the config listens on, the collector's metrics port among
// them; the probes ask health_check; the ServerSecret is a whole Secret volume; one pod polls (or
// an elector and a shared storage); the StatefulSet keeps file_storage on a volumeClaimTemplate;
// the image and binary are this release's; resources and security are the raw manifests'.
func TestChartValues(t *testing.T) {
	for _, tc := range chartValues {
		t.Run(tc.file, func(t *testing.T) {
			values := readYAML(t, filepath.Join("..", "deploy", "helm", tc.file))
			checkChartRelease(t, tc.file, values, tc.mode, tc.rawDir, tc.rawKind, tc.replicas)
		})
	}
}

// docsValues marks a yaml block of docs/kubernetes.md that is chart values to put on top of
// deploy/helm/values.yaml (helm install -f values.yaml -f block.yaml).
const docsValues = "<!-- chart values over deploy/helm/values.yaml -->\n```yaml\n"

// TestChartValuesInDocs checks each docs/kubernetes.md block of chart values, merged over
// values.yaml as helm merges a second -f, as TestChartValues checks values.yaml.
func TestChartValuesInDocs(t *testing.T) {
	raw, err := os.ReadFile("../docs/kubernetes.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(raw), docsValues)[1:]
	if len(blocks) < 2 {
		t.Fatalf("docs/kubernetes.md has %d blocks of chart values (%q before each), want the prometheus exporter's and the Datadog Agent's", len(blocks), docsValues)
	}
	base := readYAML(t, "../deploy/helm/values.yaml")
	for i, b := range blocks {
		block, _, _ := strings.Cut(b, "```")
		var over yamlMap
		if err := yaml.Unmarshal([]byte(block), &over); err != nil {
			t.Fatalf("docs/kubernetes.md, block %d of chart values: %v", i+1, err)
		}
		name := "docs/kubernetes.md block " + strconv.Itoa(i+1)
		t.Run(strconv.Itoa(i+1), func(t *testing.T) {
			checkChartRelease(t, name, helmMerge(base, over), "statefulset", "single-replica", "StatefulSet", 1)
		})
	}
}

// checkChartRelease checks values for a release of our own (TestChartValues).
func checkChartRelease(t *testing.T, file string, values yamlMap, mode, rawDir, rawKind string, wantReplicas int) {
	t.Helper()
	checkChartKeys(t, file, values)
	if yamlStr(values, "mode") != mode {
		t.Errorf("mode %q, want %s", yamlStr(values, "mode"), mode)
	}
	replicas, _ := yamlAt(values, "replicaCount").(int)
	if replicas != wantReplicas {
		t.Errorf("replicaCount %d, want %d", replicas, wantReplicas)
	}
	if yamlAt(values, "config") != nil {
		t.Error("config is set: alternateConfig makes the chart ignore it")
	}
	cfg := chartConfig(values, yamlMap{"receivers": yamlMap{"zipkin": yamlMap{}}})
	if yamlAt(cfg, "receivers", "zipkin") != nil {
		t.Fatal("no alternateConfig: the chart would merge config over its default config, whose receivers otelcol-zego lacks")
	}

	var env []string
	env = append(env, chartEnv...)
	for _, e := range yamlList(values, "extraEnvs") {
		env = append(env, yamlStr(e, "name"))
	}
	checkEnvSet(t, file, cfg, env)
	checkOnePoller(t, file, mode, replicas, cfg)

	// Ports: the chart's defaults, as the values leave or change them.
	listen := listenPorts(cfg)
	names := slices.Collect(maps.Keys(chartDefaultPorts))
	for name := range yamlAt(values, "ports").(yamlMap) {
		if _, ok := chartDefaultPorts[name]; !ok {
			names = append(names, name)
		}
	}
	for _, name := range names {
		def := chartDefaultPorts[name]
		enabled, port := def.enabled, def.port
		if e, ok := yamlAt(values, "ports", name, "enabled").(bool); ok {
			enabled = e
		}
		if p, ok := yamlAt(values, "ports", name, "containerPort").(int); ok {
			port = p
		}
		if enabled && !slices.Contains(listen, port) {
			t.Errorf("ports.%s (%d) is open, but the config listens only on %v", name, port, listen)
		}
		if name == "metrics" && !enabled {
			t.Error("ports.metrics is off: the PodMonitor and the receiver-health dashboards need the collector's metrics port")
		}
	}
	if metrics, _ := yamlAt(values, "ports", "metrics", "containerPort").(int); metrics != 8888 || !slices.Contains(listen, metrics) {
		t.Errorf("ports.metrics.containerPort %d is not the port the collector's own metrics are on (%v)", metrics, listen)
	}
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		port := chartProbePort
		if p, ok := yamlAt(values, probe, "httpGet", "port").(int); ok {
			port = p
		}
		if hc := yamlStr(cfg, "extensions", "health_check", "endpoint"); !strings.HasSuffix(hc, ":"+strconv.Itoa(port)) || !slices.Contains(yamlList(cfg, "service", "extensions"), any("health_check")) {
			t.Errorf("%s asks port %d; health_check is %q and must be in service::extensions", probe, port, hc)
		}
	}

	secretFile := yamlStr(cfg, "receivers", "zego", "server_secret_file")
	if !secretMountedWhole(yamlList(values, "extraVolumes"), yamlList(values, "extraVolumeMounts"), "otelcol-zego-credentials", secretFile) {
		t.Errorf("%s: server_secret_file %q is not the Secret's ZEGO_SERVER_SECRET mounted read-only, whole, by extraVolumes and extraVolumeMounts", file, secretFile)
	}
	if strings.HasPrefix(secretFile, "/conf/") {
		t.Errorf("%s: server_secret_file %q is under /conf, the chart's config volume", file, secretFile)
	}
	if mode == "statefulset" {
		checkStorageOnClaim(t, file, cfg, yamlList(values, "extraVolumeMounts"), yamlList(values, "statefulset", "volumeClaimTemplates"))
	}
	if wantReplicas > 1 {
		checkLeaseRules(t, file, yamlList(values, "clusterRole", "rules"))
		if yamlAt(values, "clusterRole", "create") != true || yamlAt(values, "serviceAccount", "automountServiceAccountToken") != true {
			t.Error("the elector needs clusterRole.create: true and serviceAccount.automountServiceAccountToken: true")
		}
	}

	if tag := yamlStr(values, "image", "tag"); tag != distVersion(t) || !strings.HasSuffix(yamlStr(values, "image", "repository"), "/otelcol-zego") {
		t.Errorf("image %s:%s, want <registry>/otelcol-zego:%s", yamlStr(values, "image", "repository"), tag, distVersion(t))
	}
	dockerfile, err := os.ReadFile("../deploy/image/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if name := yamlStr(values, "command", "name"); name == "" || !strings.Contains(string(dockerfile), `ENTRYPOINT ["/`+name+`"]`) {
		t.Errorf("command.name %q is not the image's binary (deploy/image/Dockerfile's ENTRYPOINT): the chart runs /<command.name>", name)
	}
	checkLikeRawManifests(t, file, values, rawKind, rawDir)

	if wantReplicas > 1 {
		validateHAConfig(t, cfg)
	} else {
		validateConfig(t, collectorBin, cfg)
	}
}

// checkLeaseRules: the rules grant every verb client-go's leader election uses on Leases.
func checkLeaseRules(t *testing.T, file string, rules []any) {
	t.Helper()
	var verbs []string
	for _, r := range rules {
		if slices.Contains(yamlList(r, "apiGroups"), any("coordination.k8s.io")) && slices.Contains(yamlList(r, "resources"), any("leases")) {
			for _, v := range yamlList(r, "verbs") {
				verbs = append(verbs, v.(string))
			}
		}
	}
	for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
		if !slices.Contains(verbs, v) {
			t.Errorf("%s: no %q on coordination.k8s.io leases (has %v)", file, v, verbs)
		}
	}
}

// existingRelease is the collector config of a release a team already runs with the chart: the
// chart's defaults as far as otelcol-zego has their components (otlp, memory_limiter, batch,
// debug, health_check), with an otlp_http exporter of theirs.
func existingRelease() yamlMap {
	var cfg yamlMap
	_ = yaml.Unmarshal([]byte(`
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "${env:MY_POD_IP}:4317"}
      http: {endpoint: "${env:MY_POD_IP}:4318"}
processors:
  batch: {}
  memory_limiter: {check_interval: 5s, limit_percentage: 80, spike_limit_percentage: 25}
exporters:
  debug: {}
  otlp_http: {endpoint: "https://otlp.example.com"}
extensions:
  health_check: {endpoint: "${env:MY_POD_IP}:13133"}
service:
  extensions: [health_check]
  pipelines:
    metrics: {receivers: [otlp], processors: [memory_limiter, batch], exporters: [otlp_http]}
    traces: {receivers: [otlp], processors: [memory_limiter, batch], exporters: [debug]}
`), &cfg)
	return cfg
}

// TestChartAddToRelease checks deploy/helm/values-add-zego.yaml merged as helm merges it into
// an existing release (a StatefulSet of one replica): the release's pipelines stay as they were,
// the receiver is in a pipeline of its own, health_check is still in service::extensions, the
// result passes `otelcol-zego validate`, the ServerSecret is a whole Secret volume, and
// file_storage is on a volumeClaimTemplate.
func TestChartAddToRelease(t *testing.T) {
	const file = "values-add-zego.yaml"
	values := readYAML(t, filepath.Join("..", "deploy", "helm", file))
	checkChartKeys(t, file, values)
	for k := range values {
		if !slices.Contains([]string{"config", "extraVolumes", "extraVolumeMounts", "statefulset"}, k) {
			t.Errorf("%s sets %s: a fragment to merge into a team's release changes only the config, the volumes and the claim", file, k)
		}
	}
	before := existingRelease()
	cfg := chartConfig(values, before)
	for name, p := range yamlAt(before, "service", "pipelines").(yamlMap) {
		after, _ := yaml.Marshal(yamlAt(cfg, "service", "pipelines", name))
		want, _ := yaml.Marshal(p)
		if string(after) != string(want) {
			t.Errorf("pipeline %s changed:\n%s\nwant:\n%s", name, after, want)
		}
	}
	if !slices.Contains(yamlList(cfg, "service", "extensions"), any("health_check")) {
		t.Error("service::extensions lost health_check, which the chart's probes ask and its NOTES require")
	}
	checkEnvSet(t, file, cfg, chartEnv)
	checkOnePoller(t, file, "statefulset", 1, cfg)
	file2 := yamlStr(cfg, "receivers", "zego", "server_secret_file")
	if !secretMountedWhole(yamlList(values, "extraVolumes"), yamlList(values, "extraVolumeMounts"), "otelcol-zego-credentials", file2) {
		t.Errorf("server_secret_file %q is not the Secret's ZEGO_SERVER_SECRET mounted read-only, whole", file2)
	}
	checkStorageOnClaim(t, file, cfg, yamlList(values, "extraVolumeMounts"), yamlList(values, "statefulset", "volumeClaimTemplates"))
	validateConfig(t, collectorBin, cfg)
}

// operatorSpecKeys are the properties of spec in the Operator's v1beta1 CRD (v0.158.0): kubectl
// apply validates fields strictly and refuses any other.
var operatorSpecKeys = []string{
	"additionalContainers", "affinity", "args", "autoscaler", "command", "config", "configVersions",
	"configmaps", "daemonSetUpdateStrategy", "deploymentUpdateStrategy", "dnsPolicy", "env", "envFrom",
	"hostAliases", "hostNetwork", "hostPID", "hostUsers", "httpRoute", "image", "imagePullPolicy",
	"ingress", "initContainers", "ipFamilies", "ipFamilyPolicy", "lifecycle", "livenessProbe",
	"managementState", "mode", "networkPolicy", "nodeSelector", "observability",
	"persistentVolumeClaimRetentionPolicy", "podAnnotations", "podDisruptionBudget", "podDnsConfig",
	"podManagementPolicy", "podSecurityContext", "ports", "priorityClassName", "readinessProbe",
	"replicas", "resources", "securityContext", "serviceAccount", "serviceName", "sessionAffinity",
	"sessionAffinityConfig", "shareProcessNamespace", "startupProbe", "targetAllocator",
	"terminationGracePeriodSeconds", "tolerations", "topologySpreadConstraints", "trafficDistribution",
	"upgradeStrategy", "volumeClaimTemplates", "volumeMounts", "volumes",
}

// The CRD's closed objects these resources use: spec.config, its service, and observability.metrics.
var (
	operatorConfigKeys  = []string{"connectors", "exporters", "extensions", "processors", "receivers", "service"}
	operatorServiceKeys = []string{"extensions", "pipelines", "telemetry"}
	operatorMetricsKeys = []string{"disablePrometheusAnnotations", "enableMetrics", "extraLabels"}
)

// operatorResources are the two OpenTelemetryCollectors.
var operatorResources = []workloadCase{
	{"collector.yaml", "statefulset", "single-replica", "StatefulSet", 1},
	{"collector-ha.yaml", "deployment", "highly-available", "Deployment", 2},
}

// TestOperatorCollectors checks deploy/operator/*.yaml: an opentelemetry.io/v1beta1
// OpenTelemetryCollector with only the fields the CRD defines and the values its enums allow;
// upgradeStrategy none, so the Operator never rewrites a custom distribution's config; the
// webhook's rules (volumeClaimTemplates only in statefulset mode); the config passes
// `otelcol-zego validate`, reads only the environment the container has, and gives several
// replicas an elector and a shared storage; the ServerSecret is a whole Secret volume;
// file_storage is on a volumeClaimTemplate; the image is this release's; resources and security
// are the raw manifests'.
func TestOperatorCollectors(t *testing.T) {
	for _, tc := range operatorResources {
		t.Run(tc.file, func(t *testing.T) {
			docs := readManifestFile(t, filepath.Join("..", "deploy", "operator", tc.file))
			if len(docs) != 1 || yamlStr(docs[0], "apiVersion") != "opentelemetry.io/v1beta1" || yamlStr(docs[0], "kind") != "OpenTelemetryCollector" {
				t.Fatalf("want one opentelemetry.io/v1beta1 OpenTelemetryCollector, have %d documents", len(docs))
			}
			spec, _ := yamlAt(docs[0], "spec").(yamlMap)
			checkKeys := func(where string, m any, allowed []string) {
				mm, _ := m.(yamlMap)
				for k := range mm {
					if !slices.Contains(allowed, k) {
						t.Errorf("%s.%s is not a field of the CRD", where, k)
					}
				}
			}
			checkKeys("spec", spec, operatorSpecKeys)
			checkKeys("spec.config", yamlAt(spec, "config"), operatorConfigKeys)
			checkKeys("spec.config.service", yamlAt(spec, "config", "service"), operatorServiceKeys)
			checkKeys("spec.observability.metrics", yamlAt(spec, "observability", "metrics"), operatorMetricsKeys)
			for _, k := range []string{"receivers", "exporters", "service"} {
				if yamlAt(spec, "config", k) == nil {
					t.Errorf("spec.config.%s is required by the CRD", k)
				}
			}
			if yamlStr(spec, "upgradeStrategy") != "none" {
				t.Errorf("upgradeStrategy %q, want none: a custom distribution's config must not be upgraded for a core release", yamlStr(spec, "upgradeStrategy"))
			}
			if yamlStr(spec, "mode") != tc.mode {
				t.Errorf("mode %q, want %s", yamlStr(spec, "mode"), tc.mode)
			}
			replicas, _ := yamlAt(spec, "replicas").(int)
			if replicas != tc.replicas {
				t.Errorf("replicas %d, want %d", replicas, tc.replicas)
			}
			if yamlAt(spec, "volumeClaimTemplates") != nil && tc.mode != "statefulset" {
				t.Errorf("volumeClaimTemplates in mode %s: the Operator's webhook refuses it", tc.mode)
			}

			cfg, _ := yamlAt(spec, "config").(yamlMap)
			env := []string{"POD_NAME"} // the Operator adds it
			for _, e := range yamlList(spec, "env") {
				env = append(env, yamlStr(e, "name"))
			}
			checkEnvSet(t, tc.file, cfg, env)
			checkOnePoller(t, tc.file, tc.mode, replicas, cfg)
			file := yamlStr(cfg, "receivers", "zego", "server_secret_file")
			if !secretMountedWhole(yamlList(spec, "volumes"), yamlList(spec, "volumeMounts"), "otelcol-zego-credentials", file) {
				t.Errorf("server_secret_file %q is not the Secret's ZEGO_SERVER_SECRET mounted read-only, whole", file)
			}
			if strings.HasPrefix(file, "/conf/") {
				t.Errorf("server_secret_file %q is under /conf, the Operator's config volume", file)
			}
			if tc.mode == "statefulset" {
				checkStorageOnClaim(t, tc.file, cfg, yamlList(spec, "volumeMounts"), yamlList(spec, "volumeClaimTemplates"))
			}
			if want := "/otelcol-zego:" + distVersion(t); !strings.HasSuffix(yamlStr(spec, "image"), want) {
				t.Errorf("image %q, want <registry>%s", yamlStr(spec, "image"), want)
			}
			checkLikeRawManifests(t, tc.file, spec, tc.rawKind, tc.rawDir)
			if tc.replicas > 1 {
				validateHAConfig(t, cfg)
			} else {
				validateConfig(t, collectorBin, cfg)
			}
		})
	}
}

// TestPodMonitor checks deploy/kubernetes/podmonitor.yaml: a Prometheus Operator PodMonitor that
// selects the pods of both raw manifests and scrapes the container port their collector's own
// metrics are on.
func TestPodMonitor(t *testing.T) {
	docs := readManifestFile(t, filepath.Join(deployDir, "podmonitor.yaml"))
	pm := theOne(t, docs, "PodMonitor", "")
	if yamlStr(pm, "apiVersion") != "monitoring.coreos.com/v1" {
		t.Errorf("apiVersion %q, want monitoring.coreos.com/v1", yamlStr(pm, "apiVersion"))
	}
	selector, _ := yamlAt(pm, "spec", "selector", "matchLabels").(yamlMap)
	for _, w := range []struct{ dir, kind string }{{"single-replica", "StatefulSet"}, {"highly-available", "Deployment"}} {
		wl := theOne(t, readManifests(t, w.dir), w.kind, "")
		labels, _ := yamlAt(wl, "spec", "template", "metadata", "labels").(yamlMap)
		for k, v := range selector {
			if labels[k] != v {
				t.Errorf("the PodMonitor selects %s=%v, which %s's pods do not have (%v)", k, v, w.dir, labels)
			}
		}
		if yamlStr(pm, "metadata", "namespace") != yamlStr(wl, "metadata", "namespace") {
			t.Errorf("the PodMonitor is in namespace %q, %s's pods in %q", yamlStr(pm, "metadata", "namespace"), w.dir, yamlStr(wl, "metadata", "namespace"))
		}
		var ports []string
		for _, p := range yamlList(wl, "spec", "template", "spec", "containers", 0, "ports") {
			if yamlAt(p, "containerPort") == 8888 {
				ports = append(ports, yamlStr(p, "name"))
			}
		}
		if len(ports) != 1 || yamlStr(pm, "spec", "podMetricsEndpoints", 0, "port") != ports[0] {
			t.Errorf("the PodMonitor scrapes port %q; %s serves the collector's metrics on the port named %v", yamlStr(pm, "spec", "podMetricsEndpoints", 0, "port"), w.dir, ports)
		}
	}
}
