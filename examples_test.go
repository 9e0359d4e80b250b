package zegoreceiver

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
)

// exampleEnv holds plausible values for every environment variable the examples read.
var exampleEnv = map[string]string{
	"ZEGO_APP_ID":                           "1234567890",
	"ZEGO_SERVER_SECRET":                    "0123456789abcdef0123456789abcdef",
	"ZEGO_STATE_DIR":                        "/var/lib/otelcol-zego",
	"ZEGOSIM_ENDPOINT":                      "http://127.0.0.1:9300",
	"ZEGOSIM_APP_ID":                        "12345",
	"ZEGOSIM_SECRET":                        "zegosim-demo-secret",
	"OTLP_ENDPOINT":                         "https://otlp.example.com",
	"OTLP_AUTHORIZATION":                    "Bearer 0123456789abcdef",
	"PROMETHEUS_REMOTE_WRITE_URL":           "http://prometheus:9090/api/v1/write",
	"PROMETHEUS_REMOTE_WRITE_AUTHORIZATION": "Bearer 0123456789abcdef",
	"DD_API_KEY":                            "0123456789abcdef0123456789abcdef",
	"DD_SITE":                               "datadoghq.eu",
}

// envRef matches ${env:NAME} and ${env:NAME:-default}, as the collector's env provider reads them.
var envRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// expandExample does what the collector's env provider does to an example, from exampleEnv,
// and fails on a variable exampleEnv does not know and the example gives no default for.
func expandExample(t *testing.T, text string) string {
	t.Helper()
	return envRef.ReplaceAllStringFunc(text, func(ref string) string {
		m := envRef.FindStringSubmatch(ref)
		if v, ok := exampleEnv[m[1]]; ok {
			return v
		}
		if strings.Contains(ref, ":-") {
			return m[2]
		}
		t.Errorf("%s: no plausible value for it in exampleEnv", ref)
		return ""
	})
}

// TestExamplesReceiverConfig checks that the zego receiver part of every example loads into the
// receiver's config and validates. The rest of each file is checked by the e2e suite with
// `otelcol-zego validate`.
func TestExamplesReceiverConfig(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("examples", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no examples found")
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(string(raw), "# "), "an example starts with a comment on where it fits")
			expanded := filepath.Join(t.TempDir(), filepath.Base(path))
			require.NoError(t, os.WriteFile(expanded, []byte(expandExample(t, string(raw))), 0o600))

			cm, err := confmaptest.LoadConf(expanded)
			require.NoError(t, err)
			receivers, err := cm.Sub("receivers")
			require.NoError(t, err)
			found := 0
			for key := range receivers.ToStringMap() {
				var id component.ID
				require.NoError(t, id.UnmarshalText([]byte(key)))
				if id.Type() != metadata.Type {
					continue
				}
				found++
				sub, err := receivers.Sub(key)
				require.NoError(t, err)
				cfg := NewFactory().CreateDefaultConfig().(*Config)
				require.NoError(t, sub.Unmarshal(cfg), "receivers::%s", key)
				require.NoError(t, confmap.Validate(cfg), "receivers::%s", key)
				assert.NotZero(t, cfg.AppID)
				assert.NotEmpty(t, string(cfg.ServerSecret))
			}
			assert.Positive(t, found, "no zego receiver in %s", path)
		})
	}
}

// TestExamplesKeepSecretsInEnv checks that no example holds a ZEGO secret in clear, and that
// the ones meant for ZEGO itself take app_id and server_secret from the environment.
func TestExamplesKeepSecretsInEnv(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("examples", "*.yaml"))
	require.NoError(t, err)
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		text := string(raw)
		assert.Contains(t, text, "server_secret: ${env:", path)
		if filepath.Base(path) != "demo.yaml" {
			assert.Contains(t, text, "app_id: ${env:ZEGO_APP_ID}", path)
			assert.Contains(t, text, "server_secret: ${env:ZEGO_SERVER_SECRET}", path)
		}
	}
}
