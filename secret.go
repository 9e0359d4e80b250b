// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// secretSource is the ServerSecret: server_secret as configured, or server_secret_file read again
// before each call. Calls are minutes apart, so a read each costs nothing, and os.ReadFile
// follows symlinks: the kubelet's swap of a Secret volume's ..data symlink is seen at the next
// call. A file that vanishes, cannot be read or turns empty keeps the last good secret.
type secretSource struct {
	path   string
	logger *zap.Logger

	mu      sync.Mutex
	secret  string
	gen     uint64 // how many times the secret changed
	failing bool   // warned since the last good read
}

func newSecretSource(cfg *Config, logger *zap.Logger) (s *secretSource, err error) {
	s = &secretSource{path: cfg.ServerSecretFile, logger: logger, secret: string(cfg.ServerSecret)}
	if s.path != "" {
		if s.secret, err = readSecret(s.path); err != nil {
			return nil, fmt.Errorf("server_secret_file: %w; mount the ServerSecret there or set server_secret", err)
		}
	}
	return s, nil
}

// current is the secret and its generation, after reading the file again.
func (s *secretSource) current() (string, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.path == "" {
		return s.secret, 0
	}
	secret, err := readSecret(s.path)
	switch {
	case err != nil && !s.failing: // once until it is good again
		s.failing = true
		s.logger.Warn("Cannot read server_secret_file; calls keep the last ServerSecret read", zap.Error(err))
	case err == nil && s.failing:
		s.failing = false
		s.logger.Info("server_secret_file can be read again", zap.String("path", s.path))
	}
	if err == nil && secret != s.secret {
		s.secret, s.gen = secret, s.gen+1
	}
	return s.secret, s.gen
}

// readSecret reads the secret at path, less one trailing newline. Its errors name the path,
// never the content.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path) //nolint:gosec // G304: the path is the operator's own server_secret_file
	if err != nil {
		return "", err
	}
	secret := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r") // one line end, \n or \r\n
	if secret == "" {
		return "", errors.New(path + " is empty")
	}
	return secret, nil
}

// rotated tells, after a call refused with kind, whether to call again now instead of backing off:
// when server_secret_file has held another ServerSecret since that call was signed and the quota
// ledger lets a call through.
func (p *poller) rotated(kind zegoapi.ErrorKind) bool {
	if kind != zegoapi.KindBadCredentials {
		return false
	}
	_, gen := p.secret.current()
	p.mu.Lock()
	now := gen != p.signedGen && p.ledger.allow(time.Now())
	p.mu.Unlock()
	if now {
		p.logger.Info("The ServerSecret in server_secret_file changed; calls resume at once")
	}
	return now
}
