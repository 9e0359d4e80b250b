// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestOneVersion: builder-config.yaml's dist.version is the project's version (the binary's
// --version, the image's tag, the archives' names); the module it names for this receiver is
// v<version>, the newest release in CHANGELOG.md is it, and every versioned reference in the
// README and the Kubernetes guides (image, archive, module; the README may name none) names it.
// The e2e tests check the binary, image and manifests.
func TestOneVersion(t *testing.T) {
	raw, err := os.ReadFile("../builder-config.yaml")
	require.NoError(t, err)
	var manifest struct {
		Dist      struct{ Version string }
		Receivers []struct{ Gomod string }
	}
	require.NoError(t, yaml.Unmarshal(raw, &manifest))
	version := manifest.Dist.Version
	require.Regexp(t, `^\d+\.\d+\.\d+$`, version, "dist.version")
	assert.Contains(t, manifest.Receivers, struct{ Gomod string }{"github.com/zego-otel/zegoreceiver v" + version})

	changelog, err := os.ReadFile("../CHANGELOG.md")
	require.NoError(t, err)
	newest := regexp.MustCompile(`(?m)^## \[(\d[^\]]*)\] - \d{4}-\d\d-\d\d$`).FindSubmatch(changelog)
	if assert.NotNil(t, newest, "CHANGELOG.md has no `## [x.y.z] - yyyy-mm-dd` heading") {
		assert.Equal(t, version, string(newest[1]), "the newest release in CHANGELOG.md")
	}

	found := 0
	for _, doc := range []string{"README.md", "docs/kubernetes.md", "docs/high-availability.md"} {
		text, err := os.ReadFile(filepath.Clean("../" + doc))
		require.NoError(t, err)
		refs := regexp.MustCompile(`(?:otelcol-zego[:_]|zegoreceiver v|git tag v)(\d+\.\d+\.\d+)`).FindAllSubmatch(text, -1)
		found += len(refs)
		for _, ref := range refs {
			assert.Equal(t, version, string(ref[1]), "%s: %s", doc, ref[0])
		}
	}
	assert.Positive(t, found, "the guides name no image, archive or module version")
}
