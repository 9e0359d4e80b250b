package zegoreceiver

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.yaml.in/yaml/v3"

	"github.com/zego-otel/zegoreceiver/internal/tooltest"
)

const alertRules = "deploy/alerts/prometheus/zego-alerts.yaml"

var (
	// promNoise: offsets, numbers, durations, set operators, which dashboardSelectors would take.
	promNoise = regexp.MustCompile(`\boffset\s+\w+|\b(and|or|unless|bool)\b|\b\d+(\.\d+)?[a-z]*\b`)
	ddMetric  = regexp.MustCompile(`\b(?:avg|sum|min|max):([A-Za-z][\w.]*)\{`) // a Datadog query's
	runbook   = regexp.MustCompile(`^https://github.com/zego-otel/zegoreceiver/blob/main/README.md#(alert-[a-z-]+)`)
)

type alertRule struct {
	Alert, Expr         string
	Labels, Annotations map[string]string
}

func loadYAML(t *testing.T, path string, v any) {
	raw, err := os.ReadFile(filepath.FromSlash(path))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(raw, v), path)
}

// checkMetrics checks that each name is a metric of the receiver or its telemetry, by
// metadata.yaml: in Prometheus (promNamesFromMetadata) or as OTLP carries it into Datadog.
func checkMetrics(t *testing.T, where string, names []string, datadog bool) {
	emitted, telemetry, _ := promNamesFromMetadata(t)
	if datadog {
		cm, err := confmaptest.LoadConf("metadata.yaml")
		require.NoError(t, err)
		metrics, err := cm.Sub("metrics")
		require.NoError(t, err)
		emitted = slices.Collect(maps.Keys(metrics.ToStringMap()))
	}
	known := slices.Concat(emitted, telemetry)
	assert.NotEmpty(t, names, "%s names no metric", where)
	for _, n := range names {
		assert.Contains(t, known, n, "%s: %s is not a metric of the receiver nor of its telemetry", where, n)
	}
}

// checkRunbook checks that a runbook link leads to an anchor of README.md.
func checkRunbook(t *testing.T, where, text string) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	m := runbook.FindStringSubmatch(text)
	assert.True(t, m != nil && strings.Contains(string(readme), `<a id="`+m[1]+`"></a>`), "%s: %q is no link to an anchor of README.md", where, text)
}

// TestPrometheusAlerts checks deploy/alerts/prometheus: each alert's labels, annotations and
// metrics; and promtool's check and tests. prometheusrule.yaml is generated from the same file.
func TestPrometheusAlerts(t *testing.T) {
	var rules struct{ Groups []struct{ Rules []alertRule } }
	loadYAML(t, alertRules, &rules)
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			assert.Contains(t, []string{"critical", "warning", "info"}, r.Labels["severity"], r.Alert)
			assert.True(t, r.Annotations["summary"] != "" && r.Annotations["description"] != "", "%s: summary, description", r.Alert)
			checkRunbook(t, r.Alert, r.Annotations["runbook_url"])
			names, _ := dashboardSelectors(promNoise.ReplaceAllString(r.Expr, ""))
			checkMetrics(t, r.Alert, names, false)
		}
	}

	promtool := tooltest.Path(t, "promtool", "Debian/Ubuntu: sudo apt-get install prometheus, or sudo bash scripts/ensure-prometheus.sh")
	for _, args := range [][]string{{"check", "rules", "zego-alerts.yaml"}, {"test", "rules", "zego-alerts_test.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = filepath.Dir(filepath.FromSlash(alertRules))
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
	}
}

// TestDatadogMonitors checks deploy/alerts/datadog: each file a monitor as Datadog's monitors API
// takes it, on the receiver's metrics, with a runbook link and one Prometheus alert's alert: tag.
func TestDatadogMonitors(t *testing.T) {
	var rules struct{ Groups []struct{ Rules []alertRule } }
	loadYAML(t, alertRules, &rules)
	monitors := map[string]int{}
	files, _ := filepath.Glob(filepath.Join("deploy", "alerts", "datadog", "*.json"))
	for _, file := range files {
		var m struct {
			Name, Type, Query, Message string
			Tags                       []string
			Options                    struct{ Thresholds map[string]float64 }
		}
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, &m), file)
		assert.True(t, m.Name != "" && m.Type == "query alert", "%s: name, type", file)
		critical, ok := m.Options.Thresholds["critical"]
		assert.True(t, ok, "%s: no options.thresholds.critical", file)
		assert.Regexp(t, `[<>]=? `+regexp.QuoteMeta(strconv.FormatFloat(critical, 'f', -1, 64))+`$`, m.Query, "%s: threshold", file)
		checkRunbook(t, file, m.Message[strings.LastIndex(m.Message, "https://"):])
		assert.Regexp(t, `\n@\S+$`, m.Message, "%s: message: whom to notify", file)
		var names []string
		for _, n := range ddMetric.FindAllStringSubmatch(m.Query, -1) {
			names = append(names, n[1])
		}
		checkMetrics(t, file, names, true)
		for _, tag := range m.Tags {
			if alert, ok := strings.CutPrefix(tag, "alert:"); ok {
				monitors[alert]++
			}
		}
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			assert.Equal(t, 1, monitors[r.Alert], "%s: Datadog monitors", r.Alert)
			delete(monitors, r.Alert)
		}
	}
	assert.Empty(t, monitors, "alert: tags that name no alert of %s", alertRules)
}
