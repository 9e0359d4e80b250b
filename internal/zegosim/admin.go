package zegosim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Admin endpoints (not part of ZEGO's API; never metered):
//
//	POST   /admin/faults  {"kind":"slow","count":1,"duration":"5s","app_id":0} queue a fault
//	GET    /admin/faults  list pending faults
//	DELETE /admin/faults  clear every fault
//	GET    /admin/stats   AppStats by AppID (as a string key)
//	GET    /healthz       "ok"
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/admin/faults":
		switch r.Method {
		case http.MethodPost:
			s.postFault(w, r)
		case http.MethodDelete:
			s.ClearFaults()
			s.logf("zegosim: admin: faults cleared")
			w.WriteHeader(http.StatusNoContent)
		case http.MethodGet:
			list := s.Faults()
			out := make([]faultJSON, len(list))
			for i, f := range list {
				out[i] = toFaultJSON(f)
			}
			writeAdminJSON(w, http.StatusOK, out)
		default:
			methodNotAllowed(w, "GET, POST, DELETE")
		}
	case "/admin/stats":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, "GET")
			return
		}
		stats := s.Stats()
		out := make(map[string]AppStats, len(stats))
		for id, st := range stats {
			out[strconv.FormatUint(uint64(id), 10)] = st
		}
		writeAdminJSON(w, http.StatusOK, out)
	default:
		http.NotFound(w, r)
	}
}

// faultJSON is Fault on the wire; Duration is a Go duration string ("5s").
type faultJSON struct {
	Kind     string `json:"kind"`
	Count    int    `json:"count"`
	Duration string `json:"duration,omitempty"`
	AppID    uint32 `json:"app_id"`
}

func toFaultJSON(f Fault) faultJSON {
	out := faultJSON{Kind: f.Kind, Count: f.Count, AppID: f.AppID}
	if f.Duration != 0 {
		out.Duration = f.Duration.String()
	}
	return out
}

func (s *Server) postFault(w http.ResponseWriter, r *http.Request) {
	var in faultJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields() // a misspelt field must not silently mean "every AppID"
	if err := dec.Decode(&in); err != nil {
		http.Error(w, "bad fault JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	f := Fault{Kind: in.Kind, Count: in.Count, AppID: in.AppID}
	if in.Duration != "" {
		d, err := time.ParseDuration(in.Duration)
		if err != nil {
			http.Error(w, "bad duration: "+err.Error(), http.StatusBadRequest)
			return
		}
		f.Duration = d
	}
	if err := f.Validate(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.InjectFault(f)
	s.logf("zegosim: admin: fault %s", describeFault(f))
	writeAdminJSON(w, http.StatusCreated, toFaultJSON(f))
}

func describeFault(f Fault) string {
	d := fmt.Sprintf("kind=%s count=%d app_id=%d", f.Kind, f.Count, f.AppID)
	if f.Duration != 0 {
		d += " duration=" + f.Duration.String()
	}
	return d
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, status, append(body, '\n'))
}
