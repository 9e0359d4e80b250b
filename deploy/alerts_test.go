// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package deploy_test

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

const alertRules = "alerts/prometheus/zego-alerts.yaml"

var (
	// promNoise: numbers, durations, set operators, which dashboardSelectors would take.
	promNoise = regexp.MustCompile(`\b(and|or|unless|bool)\b|\b\d+(\.\d+)?[a-z]*\b`)
	runbook   = regexp.MustCompile(`^https://github.com/zego-otel/zegoreceiver/blob/main/docs/alerting.md#(alert-[a-z-]+)`)
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

// checkMetrics checks that each name is a metric of the receiver or its telemetry, as Prometheus
// names them (promNamesFromMetadata). deploy/datadog checks the Datadog monitors and dashboard.
func checkMetrics(t *testing.T, where string, names []string) {
	emitted, telemetry, _ := promNamesFromMetadata(t)
	known := slices.Concat(emitted, telemetry)
	assert.NotEmpty(t, names, "%s names no metric", where)
	for _, n := range names {
		assert.Contains(t, known, n, "%s: %s is not a metric of the receiver nor of its telemetry", where, n)
	}
}

// checkRunbook checks that a runbook link leads to an anchor of the alerting guide.
func checkRunbook(t *testing.T, where, text string) {
	readme, err := os.ReadFile(filepath.Join("..", "docs", "alerting.md"))
	require.NoError(t, err)
	m := runbook.FindStringSubmatch(text)
	assert.True(t, m != nil && strings.Contains(string(readme), `<a id="`+m[1]+`"></a>`), "%s: %q is no link to an anchor of docs/alerting.md", where, text)
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
			checkMetrics(t, r.Alert, names)
		}
	}

	promtool := tooltest.Path(t, "promtool", "Debian/Ubuntu: sudo apt-get install prometheus, or sudo bash scripts/ensure-prometheus.sh")
	for _, args := range [][]string{{"check", "rules", "zego-alerts.yaml"}, {"test", "rules", "zego-alerts_test.yaml"}} {
		cmd := exec.Command(promtool, args...) //nolint:gosec // G204: promtool, found by tooltest, on the project's own rule files
		cmd.Dir = filepath.Dir(filepath.FromSlash(alertRules))
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
	}
}
