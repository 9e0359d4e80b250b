package zegosim

// Stateless hashing: every random-looking choice (values, quirks) derives from
// a hash of its inputs, so answers are pure functions of them and no RNG state
// is shared between requests or goroutines.

const golden = 0x9e3779b97f4a7c15

// mix64 is the splitmix64 finaliser: a bijection that scrambles every bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hashOf combines parts in order (hashOf(a, b) != hashOf(b, a)).
func hashOf(parts ...uint64) uint64 {
	h := uint64(golden)
	for _, p := range parts {
		h = mix64(h^p) + golden
	}
	return mix64(h)
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// signedUnit maps a hash to [-1, 1).
func signedUnit(h uint64) float64 { return 2*unit(h) - 1 }

// stream is a tiny per-request generator seeded from a hash; it lives on one
// goroutine only.
type stream struct{ state uint64 }

func (s *stream) next() uint64 {
	s.state += golden
	return mix64(s.state)
}

// intn returns a number in [0, n); the modulo bias is irrelevant here.
func (s *stream) intn(n int) int { return int(s.next() % uint64(n)) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
