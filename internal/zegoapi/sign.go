package zegoapi

import (
	"crypto/md5" //nolint:gosec // md5 is what ZEGO's signature scheme (SignatureVersion 2.0) prescribes
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
)

// signatureVersion is the only version ZEGO's server APIs accept.
const signatureVersion = "2.0"

// signature computes ZEGO's request signature: lowercase hex md5 of AppId, SignatureNonce,
// ServerSecret and Timestamp (Unix seconds) concatenated as text.
func signature(appID uint32, nonce, serverSecret string, unixSeconds int64) string {
	buf := make([]byte, 0, 10+len(nonce)+len(serverSecret)+20)
	buf = strconv.AppendUint(buf, uint64(appID), 10)
	buf = append(buf, nonce...)
	buf = append(buf, serverSecret...)
	buf = strconv.AppendInt(buf, unixSeconds, 10)
	sum := md5.Sum(buf) //nolint:gosec // see import
	return hex.EncodeToString(sum[:])
}

// nonceBytes is how much randomness goes into a SignatureNonce (16 hex chars, as ZEGO's
// examples use).
const nonceBytes = 8

// newNonce reads a fresh SignatureNonce from r.
func newNonce(r io.Reader) (string, error) {
	var b [nonceBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("reading randomness for SignatureNonce: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
