package zegosim

import (
	"crypto/md5" //nolint:gosec // ZEGO's signature scheme is md5; not our choice.
	"crypto/subtle"
	"encoding/hex"
	"strconv"
)

// Sign returns ZEGO's request signature: md5 of AppId, SignatureNonce,
// ServerSecret and Timestamp (seconds) concatenated as text, in lowercase hex.
// Tests use it to build requests; the server verifies with signText over the
// parameter texts it received.
func Sign(appID uint32, nonce, secret string, timestamp int64) string {
	return signText(strconv.FormatUint(uint64(appID), 10), nonce, secret, strconv.FormatInt(timestamp, 10))
}

func signText(appID, nonce, secret, timestamp string) string {
	sum := md5.Sum([]byte(appID + nonce + secret + timestamp)) //nolint:gosec // see import
	return hex.EncodeToString(sum[:])
}

// signatureMatches compares in constant time; a simulator need not, but it
// costs nothing and keeps the habit.
func signatureMatches(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
