// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

// Package datadog holds no code: its tests check the Datadog dashboard, the monitors in
// ../alerts/datadog and the Terraform module here against Datadog's own API models, the
// receiver's metadata.yaml and the Prometheus rules, offline. A module of its own, so that the
// receiver's go.mod does not carry Datadog's client.
package datadog

import (
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV1"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
	"go.yaml.in/yaml/v3"
)

const (
	root      = "../.."
	dashboard = "dashboard.json"
	monitors  = "../alerts/datadog"
	rules     = "../alerts/prometheus/zego-alerts.yaml"
)

var (
	// metricQuery: a metric in a query, with its filter; rule and monitor thresholds; runbooks.
	metricQuery = regexp.MustCompile(`\b(?:avg|sum|min|max):([A-Za-z][\w.]*)\{([^}]*)\}`)
	tplVar      = regexp.MustCompile(`\$(\w+)`)
	threshold   = regexp.MustCompile(`([<>]=?)\s*(-?\d+(?:\.\d+)?)`)
	runbook     = regexp.MustCompile(`https://github\.com/zego-otel/zegoreceiver/blob/main/docs/alerting\.md#(alert-[a-z-]+)`)
	// dailyQuery: a query of a daily metric, and what follows its filter and grouping.
	dailyQuery = regexp.MustCompile(`\b(?:avg|sum|min|max):(zego\.daily\.[\w.]+)\{[^}]*\}(?: by \{[^}]*\})?(\.rollup\([^)]*\))?`)
)

type metric struct {
	Unit        string
	Description string
	Attributes  []string
}

// metrics reads metadata.yaml: each metric the receiver emits and its telemetry, by the name
// Datadog shows (telemetry as OTLP carries it: otelcol_receiver_zego_...), with its tags.
func metrics(t *testing.T) map[string]metric {
	var md struct {
		Metrics    map[string]metric
		Attributes map[string]struct {
			NameOverride string `yaml:"name_override"`
		}
		Telemetry struct{ Metrics map[string]metric }
	}
	read(t, filepath.Join(root, "metadata.yaml"), yaml.Unmarshal, &md)
	all := md.Metrics
	for name, m := range md.Telemetry.Metrics {
		all["otelcol_"+name] = m
	}
	for name, m := range all {
		for i, a := range m.Attributes {
			m.Attributes[i] = cmp.Or(md.Attributes[a].NameOverride, a)
		}
		m.Attributes = append(m.Attributes, "zego.app_id") // the resource attribute
		all[name] = m
	}
	return all
}

func read(t *testing.T, path string, unmarshal func([]byte, any) error, v any) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Clean(path))
	if err == nil {
		err = unmarshal(raw, v)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return raw
}

// unrecognized fails for every part of v that Datadog's models did not recognize (a misspelled key,
// an unknown enum value or widget type) and for every widget layout outside the 12-column grid.
func unrecognized(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			unrecognized(t, path, v.Elem())
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			unrecognized(t, path+"["+strconv.Itoa(i)+"]", v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[datadogV1.WidgetLayout]() {
			x, w := v.FieldByName("X").Int(), v.FieldByName("Width").Int()
			if x < 0 || w < 1 || x+w > 12 || v.FieldByName("Height").Int() < 1 {
				t.Errorf("%s: layout x %d, width %d is outside the 12-column grid", path, x, w)
			}
		}
		for i := range v.NumField() {
			name, f := v.Type().Field(i).Name, v.Field(i)
			if (name == "UnparsedObject" || name == "AdditionalProperties") && !f.IsZero() && (f.Kind() != reflect.Map || f.Len() > 0) {
				t.Errorf("%s: not in Datadog's model: %v", path, f)
			}
			unrecognized(t, path+"."+name, f)
		}
	default:
	}
}

// checkQueries checks each metric a text queries: a metric of the receiver, filtered by each
// given template variable whose tag it carries.
func checkQueries(t *testing.T, where, text string, known map[string]metric, vars map[string]string) {
	t.Helper()
	found := metricQuery.FindAllStringSubmatch(text, -1)
	if len(found) == 0 {
		t.Errorf("%s queries no metric", where)
	}
	for _, q := range found {
		m, ok := known[q[1]]
		if !ok {
			t.Errorf("%s: %s is not a metric of the receiver nor of its telemetry", where, q[1])
		}
		for name, tag := range vars {
			if slices.Contains(m.Attributes, tag) && !strings.Contains(q[2], "$"+name) {
				t.Errorf("%s: %s{%s} is not filtered by $%s (%s)", where, q[1], q[2], name, tag)
			}
		}
	}
}

// TestDashboard checks dashboard.json against Datadog's Dashboard model, the receiver's metrics
// and its own template variables; and the widgets of the daily metrics, one point a day stamped
// when it arrives: each query rolls up a UTC day, and each widget spans a week or more of its own
// (a dashboard is looked at over hours, which would mostly show nothing).
func TestDashboard(t *testing.T) {
	var d datadogV1.Dashboard
	raw := read(t, dashboard, json.Unmarshal, &d)
	unrecognized(t, "dashboard", reflect.ValueOf(d))
	vars := map[string]string{}
	for _, v := range d.TemplateVariables {
		vars[v.Name] = v.GetPrefix()
	}
	for _, used := range tplVar.FindAllStringSubmatch(string(raw), -1) {
		if _, ok := vars[used[1]]; !ok {
			t.Errorf("template variable $%s is used but not defined", used[1])
		}
	}
	known := metrics(t)
	for i, group := range d.Widgets {
		if group.Definition.GroupWidgetDefinition == nil {
			t.Errorf("dashboard.Widgets[%d] is in no group", i)
			continue
		}
		for _, w := range group.Definition.GroupWidgetDefinition.Widgets {
			text, _ := json.Marshal(w.Definition)
			where := group.Definition.GroupWidgetDefinition.GetTitle() + " widget"
			if w.Definition.NoteWidgetDefinition == nil && w.Definition.MonitorSummaryWidgetDefinition == nil {
				checkQueries(t, where, string(text), known, vars)
			}
			daily := dailyQuery.FindAllStringSubmatch(string(text), -1)
			for _, q := range daily {
				if q[2] != ".rollup(max, 86400)" {
					t.Errorf("%s: %s rolls up with %q, not .rollup(max, 86400)", where, q[1], q[2])
				}
			}
			var span struct{ Time struct{ Unit string } }
			_ = json.Unmarshal(text, &span)
			if len(daily) > 0 && span.Time.Unit != "week" && span.Time.Unit != "month" {
				t.Errorf("%s: shows %s over the dashboard's time frame, not a week or more of its own", where, daily[0][1])
			}
		}
	}
}

// TestMonitors checks each monitor against Datadog's Monitor model, the receiver's metrics, and
// its Prometheus rule (the alert: tag): one each, the same comparison and threshold; the
// evaluation_delay that ZEGO's late real-time data needs, and none on its daily data; a runbook
// link to an anchor of docs/alerting.md; on the dashboard, the threshold of each quality and daily monitor
// marked on a graph of its metric.
func TestMonitors(t *testing.T) {
	var prom struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string }
		}
	}
	read(t, rules, yaml.Unmarshal, &prom)
	want := map[string]string{} // alert: its comparison
	for _, g := range prom.Groups {
		for _, r := range g.Rules {
			want[r.Alert] = threshold.ReplaceAllString(threshold.FindString(r.Expr), "$1 $2")
		}
	}
	readme, err := os.ReadFile(filepath.Join(root, "docs", "alerting.md"))
	if err != nil {
		t.Fatal(err)
	}
	tf := terraform(t)
	delay := map[bool]int64{false: tf.delay(t, "collection_interval_seconds"), true: tf.delay(t, "region_collection_interval_seconds")}
	known := metrics(t)
	var d datadogV1.Dashboard
	read(t, dashboard, json.Unmarshal, &d)
	graphs := map[string]string{} // metric: the JSON of the dashboard's graphs of it
	for _, g := range d.Widgets {
		for _, w := range g.Definition.GroupWidgetDefinition.GetWidgets() {
			text, _ := json.Marshal(w.Definition.TimeseriesWidgetDefinition)
			for _, q := range metricQuery.FindAllStringSubmatch(string(text), -1) {
				graphs[q[1]] += string(text)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(monitors, "*.json"))
	for _, file := range files {
		var m datadogV1.Monitor
		read(t, file, json.Unmarshal, &m)
		unrecognized(t, file, reflect.ValueOf(m))
		checkQueries(t, file, m.Query, known, nil)
		alerts := slices.DeleteFunc(slices.Clone(m.Tags), func(tag string) bool { return !strings.HasPrefix(tag, "alert:") })
		if len(alerts) != 1 {
			t.Errorf("%s: %d alert: tags, want 1", file, len(alerts))
			continue
		}
		alert := strings.TrimPrefix(alerts[0], "alert:")
		rule, ok := want[alert]
		delete(want, alert)
		op, critical := comparison(m.Query)
		ruled := critical
		if strings.HasPrefix(m.Query, "pct_change(") { // a change in percent; the rule's is a ratio
			ruled = 1 + critical/100
		}
		if got := op + " " + strconv.FormatFloat(ruled, 'f', -1, 64); !ok || got != rule || m.Options.Thresholds.GetCritical() != critical {
			t.Errorf("%s: %s, options.thresholds.critical %v; Prometheus rule %s: %q", file, got, m.Options.Thresholds.GetCritical(), alert, rule)
		}
		marker := `"value":"y = ` + strconv.FormatFloat(critical, 'f', -1, 64) + `"`
		// Marked: the real-time quality thresholds, and the daily change in percent, as graphed.
		if q := metricQuery.FindStringSubmatch(m.Query); q != nil && (strings.HasPrefix(q[1], "zego.realtime.") && !strings.HasPrefix(m.Query, "pct_change(") || strings.HasPrefix(q[1], "zego.daily.")) && !strings.Contains(graphs[q[1]], marker) {
			t.Errorf("%s: no graph of %s on the dashboard marks its threshold (%s)", file, q[1], marker)
		}
		// The daily points are stamped when they arrive: nothing to wait for.
		wantDelay := delay[strings.Contains(m.Query, ":zego.region.")]
		if late := strings.Contains(m.Query, ":zego.") && !strings.Contains(m.Query, ":zego.daily."); late != (m.Options.EvaluationDelay.Get() != nil) || late && m.Options.GetEvaluationDelay() != wantDelay {
			t.Errorf("%s: evaluation_delay %d, want %d on ZEGO's real-time data, none on its daily data and the receiver's", file, m.Options.GetEvaluationDelay(), wantDelay)
		}
		link := runbook.FindStringSubmatch(m.GetMessage())
		if link == nil || !strings.Contains(string(readme), `<a id="`+link[1]+`"></a>`) {
			t.Errorf("%s: the message has no runbook link to an anchor of docs/alerting.md", file)
		}
		if strings.Contains(m.GetMessage(), "@") {
			t.Errorf("%s: the message names whom to notify; that is the Terraform variable notify", file)
		}
	}
	for alert := range want {
		t.Errorf("Prometheus alert %s has no Datadog monitor", alert)
	}
}

// comparison is a monitor query's comparison, at its end: its operator and threshold.
func comparison(query string) (string, float64) {
	all := append([][]string{{"", "", "NaN"}}, threshold.FindAllStringSubmatch(query, -1)...)
	v, _ := strconv.ParseFloat(all[len(all)-1][2], 64)
	return all[len(all)-1][1], v
}

// module is the Terraform module: its files, parsed.
type module []*hcl.File

func terraform(t *testing.T) module {
	t.Helper()
	files, _ := filepath.Glob("*.tf")
	parser, mod := hclparse.NewParser(), module{}
	for _, f := range files {
		file, diags := parser.ParseHCLFile(f)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		mod = append(mod, file)
	}
	return mod
}

// visit calls fn for each expression of the module.
func (mod module) visit(fn func(hclsyntax.Expression)) {
	for _, f := range mod {
		_ = hclsyntax.VisitAll(f.Body.(*hclsyntax.Body), func(n hclsyntax.Node) hcl.Diagnostics {
			if e, ok := n.(hclsyntax.Expression); ok {
				fn(e)
			}
			return nil
		})
	}
}

// value evaluates the attribute name of the block of the given type and labels.
func (mod module) value(t *testing.T, name string, block ...string) cty.Value {
	t.Helper()
	for _, f := range mod {
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			if a := b.Body.Attributes[name]; a != nil && slices.Equal(append([]string{b.Type}, b.Labels...), block) {
				v, diags := a.Expr.Value(nil)
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				return v
			}
		}
	}
	t.Fatalf("Terraform: no %s in %v", name, block)
	return cty.NilVal
}

// delay is the evaluation_delay the module sets with the default data_delay and the interval
// named: their sum, rounded up to whole minutes.
func (mod module) delay(t *testing.T, interval string) int64 {
	t.Helper()
	seconds := func(name string) int64 {
		v, _ := mod.value(t, "default", "variable", name).AsBigFloat().Int64()
		return v
	}
	return (seconds("data_delay_seconds") + seconds(interval) + 59) / 60 * 60
}

// TestTerraform checks that the module reads the dashboard, every monitor file and metadata.yaml
// (its metrics and telemetry), adds the dashboard link and the notification handle to the
// messages, and knows Datadog's name for every unit in metadata.yaml.
func TestTerraform(t *testing.T) {
	mod := terraform(t)
	read, used := map[string]bool{}, map[string]bool{}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"path": cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(".")})}}
	mod.visit(func(e hclsyntax.Expression) {
		switch e := e.(type) {
		case *hclsyntax.FunctionCallExpr:
			var args []string
			for _, a := range e.Args {
				if v, diags := a.Value(ctx); !diags.HasErrors() && v.Type() == cty.String {
					args = append(args, v.AsString())
				}
			}
			if e.Name == "file" && len(args) == 1 {
				read[filepath.Clean(args[0])] = true
			}
			if e.Name == "fileset" && len(args) == 2 {
				matches, _ := filepath.Glob(filepath.Join(args...))
				for _, m := range matches {
					read[m] = true
				}
			}
		case *hclsyntax.ScopeTraversalExpr:
			for i := range e.Traversal {
				used[string(hclwrite.TokensForTraversal(e.Traversal[:i+1]).Bytes())] = true
			}
		}
	})
	files, _ := filepath.Glob(filepath.Join(monitors, "*.json"))
	for _, f := range append(files, dashboard, filepath.Join(root, "metadata.yaml")) {
		if !read[f] {
			t.Errorf("Terraform does not read %s", f)
		}
	}
	for _, ref := range []string{"local.metadata.metrics", "local.metadata.telemetry.metrics", "var.notify", "var.tags", "datadog_dashboard_json.zego.url", "local.metrics", "local.monitors"} {
		if !used[ref] {
			t.Errorf("Terraform does not use %s", ref)
		}
	}
	units := mod.value(t, "datadog_units", "locals")
	for name, m := range metrics(t) {
		if !units.Type().HasAttribute(m.Unit) {
			t.Errorf("metadata.yaml: %s: unit %q has no Datadog name in locals.datadog_units", name, m.Unit)
		}
	}
}
