// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
)

// FuzzLoadConfig feeds arbitrary YAML through the path a collector takes with
// a receiver's config: decode, validate, create. Whatever the input, nothing
// panics, and a config that validates creates a receiver.
func FuzzLoadConfig(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	// Each named config of testdata/config.yaml is a seed, as is the whole file.
	f.Add(raw)
	for _, section := range strings.Split(string(raw), "\nzego/")[1:] {
		_, body, _ := strings.Cut(section, ":\n")
		f.Add([]byte(body))
	}
	f.Add([]byte("app_id: 1\nserver_secret: x\nmetrics: {zego.realtime.x: {enabled: true}}\n"))
	f.Add([]byte("app_id: -1\nquota: {per_day: 0}\ncollection_interval: 1ns\n"))
	f.Add([]byte("app_id: 1\nserver_secret: x\nendpoint: \"http://[::1\"\nstorage: \"\"\n"))

	f.Fuzz(func(t *testing.T, yaml []byte) {
		retrieved, err := confmap.NewRetrievedFromYAML(yaml)
		if err != nil {
			return
		}
		conf, err := retrieved.AsConf()
		if err != nil {
			return
		}
		cfg := createDefaultConfig().(*Config)
		if err = conf.Unmarshal(cfg); err != nil {
			return
		}
		// Whatever secret the input had, validation must never quote it.
		const secret = "fuzz-secret-3e1d9c" //nolint:gosec // G101: a made-up secret, to check that none leaks
		if cfg.ServerSecret != "" {
			cfg.ServerSecret = secret
		}
		if err = confmap.Validate(cfg); err != nil {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("validation error quotes the server secret: %v", err)
			}
			return
		}
		r, err := NewFactory().CreateMetrics(t.Context(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
		if err != nil {
			t.Fatalf("a valid config did not create a receiver: %v", err)
		}
		if err := r.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}
