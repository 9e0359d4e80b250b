package zegosim

// Return codes. The first group is GetRealtimeUsage's own; the 1000000xx group
// is ZEGO's common (gateway) set, shared by all of its server APIs.
const (
	CodeSuccess   = 0
	CodeInternal  = 500   // server-side error
	CodeBadFormat = 10001 // parameter missing, empty or given twice
	CodeBadValue  = 10002 // parameter value invalid
	CodeRateLimit = 30002 // over the call quota

	CodeAppIDFormat           = 100000001
	CodeTimestampEmpty        = 100000002
	CodeTimestampFormat       = 100000003
	CodeSignatureExpired      = 100000004
	CodeSignatureWrong        = 100000005
	CodeActionEmpty           = 100000006
	CodeActionUnsupported     = 100000007
	CodeNonceEmpty            = 100000008
	CodeSignatureEmpty        = 100000009
	CodeNoServerSecret        = 100000010 // the AppID has no known secret
	CodeSigVersionEmpty       = 100000013
	CodeSigVersionUnsupported = 100000014

	// CodeHTTPFault is the AppStats.Codes key for answers that carry no
	// return code (HTTP-level faults, abandoned slow calls).
	CodeHTTPFault = -1
)

// apiError is a refusal: a return code and its message.
type apiError struct {
	code int
	msg  string
}

func refuse(code int, msg string) *apiError { return &apiError{code: code, msg: msg} }
