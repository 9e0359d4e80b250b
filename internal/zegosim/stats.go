package zegosim

import "maps"

// AppStats is what the server saw for one AppID.
type AppStats struct {
	// Calls counts every API call naming this AppID, whatever its outcome.
	Calls int `json:"calls"`
	// MaxPerMinute and MaxPerDay are the most calls seen in any sliding 60 s
	// and 24 h window.
	MaxPerMinute int `json:"max_per_minute"`
	MaxPerDay    int `json:"max_per_day"`
	// Codes counts the return codes answered; answers without one (HTTP-level
	// faults, abandoned slow calls) count under CodeHTTPFault (-1).
	Codes map[int]int `json:"codes"`
	// PointsServed counts the points in successful answers, a repeated point
	// (Quirks) once.
	PointsServed int `json:"points_served"`
}

// Stats returns a copy of the statistics, by AppID.
func (s *Server) Stats() map[uint32]AppStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[uint32]AppStats, len(s.apps))
	for id, a := range s.apps {
		st := a.stats
		st.Codes = maps.Clone(a.stats.Codes)
		if st.Codes == nil {
			st.Codes = map[int]int{}
		}
		out[id] = st
	}
	return out
}
