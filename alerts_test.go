package zegoreceiver

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/zego-otel/zegoreceiver/internal/tooltest"
)

const alertRules = "deploy/alerts/prometheus/zego-alerts.yaml"

type alertRule struct {
	Alert, Expr string
	Labels      map[string]string
	Annotations map[string]string
}

// loadYAML decodes the YAML file at path into v.
func loadYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.FromSlash(path))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(raw, v), path)
}

// promNoise is what dashboardSelectors would take for metric names in an alerting rule: offsets,
// numbers and durations, and the set operators.
var promNoise = regexp.MustCompile(`\boffset\s+\w+|\b(and|or|unless|bool)\b|\b\d+(\.\d+)?[a-z]*\b`)

// TestPrometheusAlerts checks deploy/alerts/prometheus: every rule selects only metrics the
// receiver emits or its telemetry, under Prometheus' names (the region metrics, while
// metadata.yaml has none yet, by their prefix); prometheusrule.yaml holds exactly the same groups;
// and promtool accepts the rules and passes their tests, zego-alerts_test.yaml.
func TestPrometheusAlerts(t *testing.T) {
	emitted, telemetry, _ := promNamesFromMetadata(t)
	regionPending := !slices.ContainsFunc(emitted, func(n string) bool { return strings.HasPrefix(n, "zego_region_") })
	var rules struct{ Groups []struct{ Rules []alertRule } }
	loadYAML(t, alertRules, &rules)
	require.Len(t, rules.Groups, 2)
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			names, _ := dashboardSelectors(promNoise.ReplaceAllString(r.Expr, ""))
			assert.NotEmpty(t, names, "%s selects no metric", r.Alert)
			for _, name := range names {
				known := slices.Contains(emitted, name) || slices.Contains(telemetry, name) || regionPending && strings.HasPrefix(name, "zego_region_")
				assert.True(t, known, "%s: %s is not a metric the receiver emits, nor its telemetry", r.Alert, name)
			}
		}
	}

	var plain, operator map[string]any
	loadYAML(t, alertRules, &plain)
	loadYAML(t, "deploy/alerts/prometheus/prometheusrule.yaml", &operator)
	spec, _ := operator["spec"].(map[string]any)
	assert.Equal(t, plain["groups"], spec["groups"], "prometheusrule.yaml: spec.groups differ from the groups of %s", alertRules)

	promtool := tooltest.Path(t, "promtool", "Debian/Ubuntu: apt-get install prometheus")
	for _, args := range [][]string{{"check", "rules", "zego-alerts.yaml"}, {"test", "rules", "zego-alerts_test.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = filepath.Dir(filepath.FromSlash(alertRules))
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
	}
}
