// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// collectorKeys are the top-level keys of a collector config: a YAML block with one of them as a
// map is a config, or a part of one, that a reader may paste.
var collectorKeys = []string{"receivers", "processors", "exporters", "connectors", "extensions", "service"}

// baseFor is a minimal config that completes block, a part of a config (one without pipelines),
// into one that runs, when given after it as a second --config: its zego receiver has what the
// block's lacks of the App ID and the ServerSecret.
func baseFor(block map[string]any) map[string]any {
	zego := map[string]any{}
	mine, _ := yamlAt(block, "receivers", "zego").(map[string]any)
	if mine["app_id"] == nil {
		zego["app_id"] = 1234567890
	}
	if mine["server_secret"] == nil && mine["server_secret_file"] == nil {
		zego["server_secret"] = "placeholder"
	}
	return map[string]any{
		"receivers": map[string]any{"zego": zego},
		"exporters": map[string]any{"debug": map[string]any{}},
		"service":   map[string]any{"pipelines": map[string]any{"metrics": map[string]any{"receivers": []any{"zego"}, "exporters": []any{"debug"}}}},
	}
}

// TestDocsConfigs checks every collector config, whole or in part, that the README and the guides
// under docs/ show: as TestExamples does for examples/, each passes `otelcol-zego validate` (a part
// merged onto a minimal config, as a second --config) and holds no secret.
func TestDocsConfigs(t *testing.T) {
	t.Parallel()
	docs, _ := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	docs = append(docs, filepath.Join("..", "README.md"))
	checked := 0
	for _, doc := range docs {
		text, err := os.ReadFile(filepath.Clean(doc))
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range yamlBlock.FindAllSubmatch(text, -1) {
			name := fmt.Sprintf("%s, yaml block %d", strings.TrimPrefix(doc, "../"), i+1)
			var block any
			if err := yaml.Unmarshal(m[1], &block); err != nil {
				t.Errorf("%s: not YAML: %v", name, err)
				continue
			}
			cfg, _ := block.(map[string]any)
			if !slices.ContainsFunc(collectorKeys, func(k string) bool { _, ok := cfg[k].(map[string]any); return ok }) {
				continue // a manifest, a builder manifest, prometheus.yml, Helm values...
			}
			checked++
			withoutHAExtensions(cfg) // the stock build lacks them: see validateHAConfig
			configs := []string{writeYAML(t, cfg)}
			if yamlAt(cfg, "service", "pipelines") == nil {
				configs = []string{writeYAML(t, baseFor(cfg)), configs[0]}
			}
			validateExample(t, name, m[1], configs...)
		}
	}
	if checked < 5 {
		t.Errorf("only %d configs found in README.md and docs/: the blocks are not where this test looks", checked)
	}
}

func writeYAML(t *testing.T, v any) string {
	t.Helper()
	raw, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
