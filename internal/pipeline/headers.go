package pipeline

import (
	"github.com/lambdabridge/lambdabridge/handlers/source"
	"github.com/lambdabridge/lambdabridge/internal/ssmlocal"
)

// HeadersParameter is the local pipeline's headers parameter, named as infra names a
// stack's (infra.SourceHeadersParameterName of "lambdabridge-local").
const HeadersParameter = "/lambdabridge-local/source-headers"

// secretHeaders keeps o.SourceHeaders where a deployed function finds them: a SecureString
// in a (local) Parameter Store, whose name alone goes into the functions' environment
// (SOURCE_HEADERS_PARAMETER), with the SDK pointed at it (AWS_ENDPOINT_URL_SSM in sdk).
func (p *Pipeline) secretHeaders(o *Options, sdk map[string]string) {
	if len(o.SourceHeaders) == 0 {
		return
	}
	p.ssm = ssmlocal.New()
	p.stops = append(p.stops, p.ssm.Close)
	p.ssm.PutSecureString(HeadersParameter, source.EncodeHeaders(o.SourceHeaders))
	sdk["AWS_ENDPOINT_URL_SSM"] = p.ssm.URL()
	o.Source.HeadersParameter, o.Source.HeaderVars, o.Source.Config.Headers = HeadersParameter, nil, nil
	p.o.Source = o.Source
}

// HeaderReads counts the reads of the secret headers (each one KMS Decrypt in AWS); 0
// without headers.
func (p *Pipeline) HeaderReads() int {
	if p.ssm == nil {
		return 0
	}
	return p.ssm.Decrypts()
}
