package zegoapi

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignature(t *testing.T) {
	tests := []struct {
		name      string
		appID     uint32
		nonce     string
		secret    string
		timestamp int64
		want      string
	}{
		// ZEGO's worked example from its API documentation.
		{"zego example", 12345, "4fd24687296dd9f3", "9193cc662a4c0ec135ec71fb57194b38", 1615186943, "43e5cfcca828314675f91b001390566a"},
		// md5("0" + "" + "" + "0") = md5("00"): pins decimal formatting of zero values.
		{"zeros", 0, "", "", 0, "b4b147bc522828731f1a016bfa72c073"},
		// md5("4294967295abcsecret1700000000"): the largest AppId stays unsigned decimal.
		{"max app id", 4294967295, "abc", "secret", 1700000000, "e97679ad5bccfaf1edee419e66c29b2d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, signature(tt.appID, tt.nonce, tt.secret, tt.timestamp))
		})
	}
}

func TestNewNonce(t *testing.T) {
	nonce, err := newNonce(bytes.NewReader([]byte{0x4f, 0xd2, 0x46, 0x87, 0x29, 0x6d, 0xd9, 0xf3, 0xff}))
	require.NoError(t, err)
	assert.Equal(t, "4fd24687296dd9f3", nonce)

	_, err = newNonce(bytes.NewReader([]byte{1, 2, 3}))
	assert.Error(t, err, "a short read must not produce a short nonce")
}
