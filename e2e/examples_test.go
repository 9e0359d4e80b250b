//go:build e2e

package e2e

import (
	"path/filepath"
	"testing"
)

// exampleEnv holds plausible values for the environment variables the examples read.
var exampleEnv = []string{
	"ZEGO_APP_ID=1234567890",
	"ZEGO_SERVER_SECRET=0123456789abcdef0123456789abcdef",
	"ZEGO_STATE_DIR=/var/lib/otelcol-zego",
	"OTLP_ENDPOINT=https://otlp.example.com",
	"PROMETHEUS_REMOTE_WRITE_URL=http://prometheus:9090/api/v1/write",
}

// TestExamplesValidate runs `otelcol-zego validate` on every example but the Datadog one, whose
// exporter is not in the default build (examples_test.go in the root package still checks its
// receiver part).
func TestExamplesValidate(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no examples found")
	}
	for _, path := range paths {
		name := filepath.Base(path)
		if name == "zego-to-datadog.yaml" {
			t.Logf("%s: skipped, the Datadog exporter is not in the default build", name)
			continue
		}
		if out, err := runCollectorCommand(t, exampleEnv, "validate", "--config", path); err != nil {
			t.Errorf("otelcol-zego validate --config %s: %v\n%s", path, err, out)
		}
	}
}
