// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// health is the receiver's component status, over all its interfaces: OK while the last call of
// each succeeded, a recoverable error naming those whose last call failed otherwise. It is
// reported only when it changes, so that interfaces which disagree do not flip it at every poll.
type health struct {
	mu       sync.Mutex
	host     component.Host
	failing  map[zegoapi.Action]failure
	reported string // what was last reported: "" nothing yet, "ok", or the failing interfaces' causes
}

// failure is an interface's last failed call and its cause: its kind, ZEGO's code and the HTTP
// status, which, unlike the error's text, stay the same from one call to the next.
type failure struct {
	err   error
	cause string
}

func (h *health) setHost(host component.Host) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.host = host
}

// succeeded records a successful call of api.
func (h *health) succeeded(api zegoapi.Action) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.failing, api)
	h.reportLocked()
}

// failed records a failed call of api.
func (h *health) failed(api zegoapi.Action, err error, cause string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failing == nil {
		h.failing = map[zegoapi.Action]failure{}
	}
	h.failing[api] = failure{err: err, cause: cause}
	h.reportLocked()
}

// leading reports a change of leadership, always, as OK with the zego.leader attribute: a term
// starts with no call made, and a replica standing by makes none.
func (h *health) leading(leading bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.failing)
	h.reported = "ok"
	attrs := pcommon.NewMap()
	attrs.PutBool("zego.leader", leading)
	componentstatus.ReportStatus(h.host, componentstatus.NewEvent(componentstatus.StatusOK, componentstatus.WithAttributes(attrs)))
}

func (h *health) reportLocked() {
	apis := slices.Sorted(maps.Keys(h.failing))
	state, errs := "ok", make([]error, 0, len(apis))
	if len(apis) > 0 {
		causes := make([]string, 0, len(apis))
		for _, api := range apis {
			causes = append(causes, string(api)+"="+h.failing[api].cause)
			errs = append(errs, h.failing[api].err)
		}
		state = strings.Join(causes, ",")
	}
	if state == h.reported {
		return
	}
	h.reported = state
	ev := componentstatus.NewEvent(componentstatus.StatusOK)
	if len(errs) > 0 {
		ev = componentstatus.NewRecoverableErrorEvent(errors.Join(errs...))
	}
	componentstatus.ReportStatus(h.host, ev)
}
