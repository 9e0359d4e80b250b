// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestOneVersion: builder-config.yaml's dist.version is the project's version (the binary's
// --version, the image's tag, the archives' names); the module it names for this receiver is
// v<version>, the newest release in CHANGELOG.md is it, every versioned reference in the README
// and the guides (image, archive, module) names it, the guides to releases, Kubernetes and high
// availability each name it, and so does the platform team's manifest of e2e/published. The e2e
// tests check the binary, image and manifests.
// versionedGuides are the guides that name the release (the image, the archives, the module).
var versionedGuides = []string{"releases.md", "kubernetes.md", "high-availability.md"}

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

	docs, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	require.NoError(t, err)
	for _, doc := range append(docs, filepath.Join("..", "README.md")) {
		text, readErr := os.ReadFile(filepath.Clean(doc))
		require.NoError(t, readErr)
		refs := regexp.MustCompile(`(?:otelcol-zego[:_]|zegoreceiver v|git tag v)(\d+\.\d+\.\d+)`).FindAllSubmatch(text, -1)
		if slices.Contains(versionedGuides, filepath.Base(doc)) {
			assert.NotEmpty(t, refs, "%s names no image, archive or module version", doc)
		}
		for _, ref := range refs {
			assert.Equal(t, version, string(ref[1]), "%s: %s", doc, ref[0])
		}
	}

	// The platform team's manifest that e2e/published builds names the receiver at this release.
	raw, err = os.ReadFile(filepath.Join("..", "e2e", "published", "testdata", "builder-config.yaml"))
	require.NoError(t, err)
	var team struct{ Receivers []struct{ Gomod string } }
	require.NoError(t, yaml.Unmarshal(raw, &team))
	assert.Contains(t, team.Receivers, struct{ Gomod string }{"github.com/zego-otel/zegoreceiver v" + version}, "e2e/published/testdata/builder-config.yaml")
}
