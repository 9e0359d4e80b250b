package zegosim

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxTrackedApps bounds the state kept for AppIDs with no known secret (a
// client cycling through random AppIDs must not grow memory forever). Known
// AppIDs are always tracked.
const maxTrackedApps = 1 << 16

// Server is the simulated API. It is safe for concurrent use.
type Server struct {
	cfg Config

	mu     sync.Mutex
	apps   map[uint32]*appState
	faults []*pendingFault
	seq    uint64 // request counter, part of RequestId
}

// appState is what the server keeps per AppID.
type appState struct {
	calls  callLog
	nonces nonceCache
	stats  AppStats
}

// New returns a server for cfg, with defaults applied.
func New(cfg Config) *Server {
	return &Server{cfg: cfg.withDefaults(), apps: make(map[uint32]*appState)}
}

// ServeHTTP serves the API at "/", GET /healthz, and the admin endpoints under
// /admin/ (see admin.go).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/":
		s.serveAPI(w, r)
	case p == "/healthz":
		s.serveHealth(w, r)
	case strings.HasPrefix(p, "/admin/"):
		s.serveAdmin(w, r)
	default:
		http.NotFound(w, r)
	}
}

// clock is the server's time: the configured clock plus the skew.
func (s *Server) clock() time.Time { return s.cfg.Now().Add(s.cfg.ClockOffset) }

func (s *Server) secret(appID uint32) (string, bool) {
	if secret, ok := s.cfg.Apps[appID]; ok {
		return secret, true
	}
	return s.cfg.AnySecret, s.cfg.AnySecret != ""
}

// appLocked returns appID's state, creating it, or nil once too many AppIDs
// without a secret are tracked. The caller holds s.mu.
func (s *Server) appLocked(appID uint32) *appState {
	if a, ok := s.apps[appID]; ok {
		return a
	}
	if _, known := s.secret(appID); !known && len(s.apps) >= maxTrackedApps {
		return nil
	}
	a := &appState{stats: AppStats{Codes: map[int]int{}}}
	s.apps[appID] = a
	return a
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}
