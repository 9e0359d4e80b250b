//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// testCA is a certificate authority made by the test, and a server certificate for 127.0.0.1 it signed.
type testCA struct {
	pemFile string // the CA certificate, PEM, for tls::ca_file
	server  tls.Certificate
}

func newTestCA(t *testing.T, name string) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	serverKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serverDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "zegosim"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}, ca, &serverKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{
		pemFile: writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))),
		server:  tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey},
	}
}

// TestTLS serves the simulator over HTTPS with a certificate from a CA the test made: the
// receiver works with tls::ca_file, fails with a clear error without it (or with another CA),
// and skips verification only when insecure_skip_verify is set.
func TestTLS(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "zegosim test CA")
	other := newTestCA(t, "some other CA")

	tests := []struct {
		name     string
		caFile   string
		insecure bool
		works    bool
	}{
		{name: "ca_file", caFile: ca.pemFile, works: true},
		{name: "no ca_file", works: false},
		{name: "another CA", caFile: other.pemFile, works: false},
		{name: "insecure_skip_verify", insecure: true, works: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := zegosim.New(simConfig(nil))
			srv := httptest.NewUnstartedServer(sim)
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12}
			srv.StartTLS()
			t.Cleanup(srv.Close)
			if !strings.HasPrefix(srv.URL, "https://") {
				t.Fatalf("the simulator is not on HTTPS: %s", srv.URL)
			}

			sink := newSink(t)
			cfg := defaultConfig(srv.URL, sink.URL())
			cfg.TLSCAFile, cfg.TLSInsecure = tt.caFile, tt.insecure
			col := startCollector(t, tt.name, writeConfig(t, cfg))
			if tt.works {
				col.waitFor(time.Minute, "3 accepted requests", func() bool { return sink.requests() >= 3 })
				col.stop()
				verifyPoints(t, sink.snapshot(), testSeed, testAppID)
				return
			}
			const why = "certificate signed by unknown authority"
			col.waitFor(time.Minute, "a log line saying "+why, func() bool { return strings.Contains(col.output(), why) })
			col.keepsRunning(2 * cfg.Interval)
			col.stop()
			if n := sink.count(); n != 0 {
				t.Errorf("%d points arrived over a connection that should not verify", n)
			}
			if calls := sim.Stats()[testAppID].Calls; calls != 0 {
				t.Errorf("the simulator answered %d calls over an unverified connection", calls)
			}
		})
	}
}
