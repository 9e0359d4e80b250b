// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdFence   = regexp.MustCompile("(?s)```.*?```")
	mdHeading = regexp.MustCompile(`(?m)^#+\s+(.*)$`)
	mdAnchor  = regexp.MustCompile(`<a id="([^"]+)">`)
	notInSlug = regexp.MustCompile(`[^\p{L}\p{N}_\- ]`)
)

// TestDocsLinks: every guide under docs/ is one click from the README, and every relative link of
// the README and the guides leads to a file that exists and, with a #fragment, to a heading or an
// <a id> of it, as GitHub renders them.
func TestDocsLinks(t *testing.T) {
	guides, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, guides)
	readme := filepath.Join("..", "README.md")
	front := read(t, readme)
	for _, g := range guides {
		assert.Contains(t, front, "](docs/"+filepath.Base(g)+")", "README.md does not link %s", g)
	}
	for _, doc := range append(guides, readme) {
		for _, m := range mdLink.FindAllStringSubmatch(mdFence.ReplaceAllString(read(t, doc), ""), -1) {
			link := m[1]
			if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			path, fragment, _ := strings.Cut(link, "#")
			target := doc
			if path != "" {
				target = filepath.Join(filepath.Dir(doc), path)
			}
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s: %s leads nowhere: %v", doc, link, err)
				continue
			}
			if fragment != "" && strings.HasSuffix(target, ".md") && !hasAnchor(read(t, target), fragment) {
				t.Errorf("%s: %s: %s has no such heading or anchor", doc, link, target)
			}
		}
	}
}

// hasAnchor reports whether markdown has a heading whose GitHub slug is fragment, or an <a id>.
func hasAnchor(markdown, fragment string) bool {
	for _, h := range mdHeading.FindAllStringSubmatch(markdown, -1) {
		slug := strings.ReplaceAll(notInSlug.ReplaceAllString(strings.ToLower(strings.TrimSpace(h[1])), ""), " ", "-")
		if slug == fragment {
			return true
		}
	}
	for _, a := range mdAnchor.FindAllStringSubmatch(markdown, -1) {
		if a[1] == fragment {
			return true
		}
	}
	return false
}

func read(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Clean(path))
	require.NoError(t, err)
	return string(raw)
}
