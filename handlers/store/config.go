package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Auth methods for DB_AUTH.
const (
	// AuthPassword uses DB_PASSWORD (or the password in DATABASE_URL).
	AuthPassword = "password"
	// AuthIAM signs an RDS IAM authentication token locally for every new connection.
	AuthIAM = "iam"
)

// DefaultRecordsTable is the records-mode table used when RECORDS_TABLE is not set.
const DefaultRecordsTable = "records"

// DefaultConnectTimeout bounds one connection attempt when the URL sets no connect_timeout.
const DefaultConnectTimeout = 10 * time.Second

// Config is the writer's database configuration, read once at cold start by ConfigFromEnv.
type Config struct {
	URL string // DATABASE_URL; when set, Host/Port/Name/User/SSLMode are ignored

	Host     string // DB_HOST
	Port     int    // DB_PORT, default 5432
	Name     string // DB_NAME, default "postgres"
	User     string // DB_USER
	Auth     string // DB_AUTH: AuthPassword (default) or AuthIAM
	Password string // DB_PASSWORD (AuthPassword only); never logged
	// SSLMode is DB_SSLMODE. Default verify-full: the server certificate is checked against
	// SSLRootCert when set, else against the embedded Amazon RDS CA bundle (RDSRootCAs).
	SSLMode     string
	SSLRootCert string // DB_SSLROOTCERT: path to a PEM CA bundle; empty = the embedded RDS bundle

	Region      string                  // AWS_REGION, for the IAM token
	Credentials aws.CredentialsProvider // for the IAM token; set by the caller, not from the environment

	RecordsKey   string // RECORDS_KEY: records mode when set
	RecordsTable string // RECORDS_TABLE, default DefaultRecordsTable

	// AdminUser (DB_ADMIN_USER) and AdminPassword (DB_ADMIN_PASSWORD, never logged) turn on
	// the writer-role setup: Ensure first connects once as this user with password auth (same
	// host, database and TLS settings) and creates the writer's role, its grants and the
	// schema (see the package doc). Both or neither. A role it creates has no password: it
	// is meant for DB_AUTH=iam (rds_iam) or a server that trusts the writer (tests, local).
	AdminUser     string
	AdminPassword string

	// iamRole is the role granted to the writer when it exists ("rds_iam" on RDS); a field
	// so that tests can use a role of their own on a shared server.
	iamRole string
}

var sslModes = map[string]bool{"disable": true, "allow": true, "prefer": true, "require": true, "verify-ca": true, "verify-full": true}

var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$`)

// ConfigFromEnv reads the writer's database settings through getenv (os.Getenv in a
// handler) and validates them. Errors name the variable at fault and the accepted form.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		URL:           getenv("DATABASE_URL"),
		Host:          getenv("DB_HOST"),
		Name:          getenv("DB_NAME"),
		User:          getenv("DB_USER"),
		Auth:          getenv("DB_AUTH"),
		Password:      getenv("DB_PASSWORD"),
		SSLMode:       getenv("DB_SSLMODE"),
		SSLRootCert:   getenv("DB_SSLROOTCERT"),
		Region:        getenv("AWS_REGION"),
		RecordsKey:    getenv("RECORDS_KEY"),
		RecordsTable:  getenv("RECORDS_TABLE"),
		AdminUser:     getenv("DB_ADMIN_USER"),
		AdminPassword: getenv("DB_ADMIN_PASSWORD"),
	}
	if p := getenv("DB_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("store config: DB_PORT %q is not a port number (1-65535)", p)
		}
		c.Port = n
	}
	if err := c.normalize(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// normalize applies defaults and validates.
func (c *Config) normalize() error {
	if c.Auth == "" {
		c.Auth = AuthPassword
	}
	if c.Auth != AuthPassword && c.Auth != AuthIAM {
		return fmt.Errorf("store config: DB_AUTH %q is not supported (want %q or %q)", c.Auth, AuthIAM, AuthPassword)
	}
	if c.RecordsKey != "" {
		if c.RecordsTable == "" {
			c.RecordsTable = DefaultRecordsTable
		}
		if !tableName.MatchString(c.RecordsTable) {
			return fmt.Errorf("store config: RECORDS_TABLE %q is not a table name (want letters, digits and _, optionally schema.table)", c.RecordsTable)
		}
	}
	if c.iamRole == "" {
		c.iamRole = "rds_iam"
	}
	if (c.AdminUser == "") != (c.AdminPassword == "") {
		return errors.New("store config: DB_ADMIN_USER and DB_ADMIN_PASSWORD go together (the writer-role setup needs both, or set neither)")
	}
	if c.URL != "" {
		pc, err := pgx.ParseConfig(c.URL)
		if err != nil {
			return fmt.Errorf("store config: DATABASE_URL does not parse (want postgres://user@host:port/db?sslmode=...): %w", redact(err))
		}
		return c.checkAdmin(pc.User)
	}
	if c.Host == "" {
		return errors.New("store config: neither DATABASE_URL nor DB_HOST is set")
	}
	if c.User == "" {
		return errors.New("store config: DB_USER is not set (needed with DB_HOST)")
	}
	if c.Port == 0 {
		c.Port = 5432
	}
	if c.Name == "" {
		c.Name = "postgres"
	}
	if c.SSLMode == "" {
		c.SSLMode = "verify-full"
	}
	if !sslModes[c.SSLMode] {
		return fmt.Errorf("store config: DB_SSLMODE %q is not one of disable, allow, prefer, require, verify-ca, verify-full", c.SSLMode)
	}
	if err := c.checkAdmin(c.User); err != nil {
		return err
	}
	switch c.Auth {
	case AuthPassword:
		if c.Password == "" {
			return errors.New("store config: DB_AUTH=password needs DB_PASSWORD")
		}
	case AuthIAM:
		if c.SSLMode == "disable" || c.SSLMode == "allow" || c.SSLMode == "prefer" {
			return fmt.Errorf("store config: DB_AUTH=iam needs TLS, but DB_SSLMODE is %s (want require, verify-ca or verify-full)", c.SSLMode)
		}
	}
	return nil
}

// checkAdmin refuses a writer-role setup whose admin is the writer itself.
func (c *Config) checkAdmin(writer string) error {
	if c.AdminUser != "" && c.AdminUser == writer {
		return fmt.Errorf("store config: DB_ADMIN_USER %q is the writer's own user: the setup creates the writer's role as a different, privileged user", c.AdminUser)
	}
	return nil
}

// redact drops a URL parse error's detail, which can quote the password.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New(ue.Op + " failed")
	}
	return errors.New("invalid connection string")
}

// connString builds the URL for the DB_* form (without the password).
func (c Config) connString() string {
	if c.URL != "" {
		return c.URL
	}
	q := url.Values{}
	q.Set("sslmode", c.SSLMode)
	if c.SSLRootCert != "" {
		q.Set("sslrootcert", c.SSLRootCert)
	}
	u := url.URL{Scheme: "postgres", User: url.User(c.User), Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), Path: "/" + c.Name, RawQuery: q.Encode()}
	return u.String()
}

// poolConfig turns the configuration into a one-connection pool config whose BeforeConnect
// hook signs a fresh IAM token for every new connection when Auth is AuthIAM.
func (c Config) poolConfig() (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(c.connString())
	if err != nil {
		return nil, fmt.Errorf("store config: parse connection settings: %w", redact(err))
	}
	pc.MaxConns = 1 // one invocation at a time per Lambda instance
	pc.MinConns = 0
	pc.HealthCheckPeriod = time.Minute
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	if err := c.useRDSRoots(pc.ConnConfig); err != nil {
		return nil, err
	}
	if c.URL == "" && c.Auth == AuthPassword {
		pc.ConnConfig.Password = c.Password
	}
	if c.Auth == AuthIAM {
		if c.Credentials == nil {
			return nil, errors.New("store config: DB_AUTH=iam but no AWS credentials were provided")
		}
		if c.Region == "" {
			return nil, errors.New("store config: DB_AUTH=iam needs AWS_REGION")
		}
		pc.BeforeConnect = c.signToken
	}
	return pc, nil
}

// useRDSRoots makes cc verify the server against the embedded RDS bundle where the DB_*
// form asks for verification without naming a bundle: pgx verifies against the system
// roots when no sslrootcert is given, and RDS's CAs are not among them.
func (c Config) useRDSRoots(cc *pgx.ConnConfig) error {
	if c.URL != "" || c.SSLRootCert != "" || (c.SSLMode != "verify-ca" && c.SSLMode != "verify-full") {
		return nil
	}
	roots, err := RDSRootCAs()
	if err != nil {
		return err
	}
	cc.TLSConfig.RootCAs = roots
	return nil
}

// adminConnConfig is the writer-role setup's connection: the data connection's host, port, database
// and TLS settings, as AdminUser with AdminPassword (password auth, never IAM).
func (c Config) adminConnConfig() (*pgx.ConnConfig, error) {
	cc, err := pgx.ParseConfig(c.connString())
	if err != nil {
		return nil, fmt.Errorf("store config: parse connection settings: %w", redact(err))
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = DefaultConnectTimeout
	}
	if err := c.useRDSRoots(cc); err != nil {
		return nil, err
	}
	cc.User, cc.Password = c.AdminUser, c.AdminPassword
	return cc, nil
}

// signToken is the BeforeConnect hook for IAM auth: it signs an RDS auth token (valid 15
// minutes; local SigV4 presigning, no network) for the connection's host, port and user and
// uses it as the password.
func (c Config) signToken(ctx context.Context, cc *pgx.ConnConfig) error {
	endpoint := net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port)))
	tok, err := auth.BuildAuthToken(ctx, endpoint, c.Region, cc.User, c.Credentials)
	if err != nil {
		return fmt.Errorf("store: build RDS IAM auth token for %s@%s: %w", cc.User, endpoint, err)
	}
	cc.Password = withPathSlash(tok, endpoint)
	return nil
}

// withPathSlash writes the token as `aws rds generate-db-auth-token` does, "host:port/?...".
// feature/rds/auth v1.7.11 omits the "/" (aws-sdk-go-v2 issue #3365), which Aurora's stricter
// token check rejects. The signature is unchanged: SigV4 signs an empty path as "/".
func withPathSlash(tok, endpoint string) string {
	if rest, ok := strings.CutPrefix(tok, endpoint+"?"); ok {
		return endpoint + "/?" + rest
	}
	return tok
}
