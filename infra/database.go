package infra

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/planner"
)

// PostgresPort is the port the database listens on and the only one the functions may reach.
const PostgresPort = 5432

// masterUser is the RDS master user; the writer connects as DatabaseArgs.User instead. The
// deploy's setup invocation (Functions.Setup) logs in as it once to create and grant the
// writer's role.
const masterUser = "lbadmin"

// DatabaseArgs configures a Database.
type DatabaseArgs struct {
	// VpcID and SubnetIDs place a new instance (and its security group).
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// FunctionSecurityGroupID is the only group allowed to reach the database.
	FunctionSecurityGroupID pulumi.StringInput
	// Name is the database name; User the writer's database user.
	Name, User string
	// Password is the master password of a new instance (a secret); empty makes the
	// program generate one on the first `up` and keep it afterwards (see NewDatabase).
	// For an existing database without ExistingResourceID it is the writer user's password.
	Password string
	// ExistingHost and ExistingSecurityGroupID use a database that already exists; the
	// program then adds one ingress rule (5432 from the function group) to that group.
	ExistingHost, ExistingSecurityGroupID string
	// ExistingResourceID is the existing database's DbiResourceId: the functions connect to
	// it with IAM authentication (rds-db:connect on it), holding no password.
	ExistingResourceID string
	// PasswordInEnvironment allows, for an existing database without ExistingResourceID, the
	// writer's Password in the functions' environment (a warning says so). Without it such a
	// database is refused.
	PasswordInEnvironment bool
	// NamePrefix starts the final snapshot's identifier (NamePrefix of the stack).
	NamePrefix string
	// DeletionProtection turns on RDS deletion protection and Pulumi's protect option on
	// the instance: neither AWS nor `pulumi destroy` deletes it until it is turned off.
	DeletionProtection bool
	// BackupRetentionDays is how long RDS keeps automated backups (0-35).
	BackupRetentionDays int
	// Now stamps a new instance's final snapshot identifier (the program passes time.Now).
	Now func() time.Time
}

// Database is the PostgreSQL the writer (or relay) stores into.
type Database struct {
	pulumi.ResourceState

	// Host and Port are where the writer connects.
	Host pulumi.StringOutput
	Port pulumi.IntOutput
	// ResourceID is the instance's DbiResourceId (for the rds-db:connect ARN); empty
	// for an existing database reached with a password.
	ResourceID pulumi.StringOutput
	// Auth is "iam" for an instance the program creates and for an existing one with its
	// resource id, "password" for an existing one without (its resource id is unknown, so no
	// narrow rds-db:connect policy can be written), allowed only with PasswordInEnvironment.
	Auth string
	// Password is the writer's password when Auth is "password" (a secret).
	Password pulumi.StringOutput
	// AdminUser and AdminPassword (a secret: the instance's stored master password) are what
	// the deploy's one-shot setup invocation logs in as to make the writer's role, grants
	// and schema: never a function's configuration. AdminUser is "" for an existing
	// database, whose writer user the owner made.
	AdminUser     string
	AdminPassword pulumi.StringOutput
}

// finalSnapshotID is "<prefix>-final-YYYYMMDD-hhmmss" (UTC): letters, digits and single
// hyphens, starting with the prefix's letter, as RDS requires of a snapshot identifier.
func finalSnapshotID(prefix string, created time.Time) string {
	return prefix + "-final-" + created.UTC().Format("20060102-150405")
}

// NewDatabase registers a Database component named name.
func NewDatabase(ctx *pulumi.Context, name string, args *DatabaseArgs, opts ...pulumi.ResourceOption) (*Database, error) {
	if args == nil {
		return nil, fmt.Errorf("database %s: args are required", name)
	}
	if args.ExistingHost == "" && (args.NamePrefix == "" || args.Now == nil) {
		return nil, fmt.Errorf("database %s: a new instance needs NamePrefix and Now (its final snapshot's identifier)", name)
	}
	d := &Database{}
	if err := ctx.RegisterComponentResource("lambdabridge:database:Database", name, d, opts...); err != nil {
		return nil, fmt.Errorf("register database %s: %w", name, err)
	}
	parent := pulumi.Parent(d)

	var dbSG pulumi.StringInput
	var err error
	if args.ExistingHost != "" {
		dbSG, err = d.useExisting(ctx, name, args)
	} else {
		dbSG, err = d.newInstance(ctx, name, args, parent)
	}
	if err != nil {
		return nil, err
	}

	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-from-functions", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           dbSG,
		Description:               pulumi.String("PostgreSQL from the lambdabridge functions"),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(PostgresPort),
		ToPort:                    pulumi.Int(PostgresPort),
		ReferencedSecurityGroupId: args.FunctionSecurityGroupID,
	}, parent); err != nil {
		return nil, fmt.Errorf("database %s: ingress rule: %w", name, err)
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-functions-to-db", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId:           args.FunctionSecurityGroupID,
		Description:               pulumi.String("PostgreSQL to the database group"),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(PostgresPort),
		ToPort:                    pulumi.Int(PostgresPort),
		ReferencedSecurityGroupId: dbSG,
	}, parent); err != nil {
		return nil, fmt.Errorf("database %s: function egress rule: %w", name, err)
	}

	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{
		"host":       d.Host,
		"port":       d.Port,
		"resourceId": d.ResourceID,
	}); err != nil {
		return nil, fmt.Errorf("database %s: outputs: %w", name, err)
	}
	return d, nil
}

// useExisting points d at the database at args.ExistingHost and returns its security group.
// The functions use IAM authentication with its resource id (existingDbResourceId), or else
// the writer's password in their environment, only when the stack says so.
func (d *Database) useExisting(ctx *pulumi.Context, name string, args *DatabaseArgs) (pulumi.StringInput, error) {
	if args.ExistingSecurityGroupID == "" {
		return nil, fmt.Errorf("database %s: existingDbHost %s needs existingDbSecurityGroupId (the group the function group is let into on %d)", name, args.ExistingHost, PostgresPort)
	}
	d.Host = pulumi.String(args.ExistingHost).ToStringOutput()
	d.Port = pulumi.Int(PostgresPort).ToIntOutput()
	d.AdminPassword = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
	switch {
	case args.ExistingResourceID != "":
		d.ResourceID = pulumi.String(args.ExistingResourceID).ToStringOutput()
		d.Auth = "iam"
		d.Password = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
	case !args.PasswordInEnvironment:
		return nil, fmt.Errorf("database %s: existingDbHost %s needs existingDbResourceId (the functions then use IAM authentication) or dbPasswordInEnvironment: true (the writer's dbPassword in their environment)", name, args.ExistingHost)
	case args.Password == "":
		return nil, fmt.Errorf("database %s: existingDbHost %s with dbPasswordInEnvironment needs dbPassword, the writer user's password", name, args.ExistingHost)
	default:
		d.ResourceID = pulumi.String("").ToStringOutput()
		d.Auth = "password"
		d.Password = pulumi.ToSecret(pulumi.String(args.Password)).(pulumi.StringOutput)
		_ = ctx.Log.Warn(fmt.Sprintf("dbPasswordInEnvironment: the writer's database password for %s is in the functions' environment, "+
			"where lambda:GetFunctionConfiguration reads it; set existingDbResourceId to use IAM authentication instead", args.ExistingHost), nil)
	}
	return pulumi.String(args.ExistingSecurityGroupID), nil
}

// newInstance creates the RDS instance (with its security group and subnet group), points d
// at it, and returns its security group.
func (d *Database) newInstance(ctx *pulumi.Context, name string, args *DatabaseArgs, parent pulumi.ResourceOption) (pulumi.StringInput, error) {
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("lambdabridge database: PostgreSQL from the function group only"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("database %s: security group: %w", name, err)
	}
	sng, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		SubnetIds:   args.SubnetIDs,
		Description: pulumi.String("lambdabridge private subnets"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("database %s: subnet group: %w", name, err)
	}
	ia := &rds.InstanceArgs{
		Engine:                           pulumi.String("postgres"),
		EngineVersion:                    pulumi.String("17"),
		InstanceClass:                    pulumi.String(planner.DatabaseInstanceClass),
		AllocatedStorage:                 pulumi.Int(planner.DatabaseStorageGB),
		StorageType:                      pulumi.String("gp3"),
		StorageEncrypted:                 pulumi.Bool(true),
		DbName:                           pulumi.String(args.Name),
		Username:                         pulumi.String(masterUser),
		DbSubnetGroupName:                sng.Name,
		VpcSecurityGroupIds:              pulumi.StringArray{sg.ID()},
		PubliclyAccessible:               pulumi.Bool(false),
		MultiAz:                          pulumi.Bool(false),
		IamDatabaseAuthenticationEnabled: pulumi.Bool(true),
		BackupRetentionPeriod:            pulumi.Int(args.BackupRetentionDays),
		DeletionProtection:               pulumi.Bool(args.DeletionProtection),
		CopyTagsToSnapshot:               pulumi.Bool(true),
		AutoMinorVersionUpgrade:          pulumi.Bool(true),
		SkipFinalSnapshot:                pulumi.Bool(false),
		FinalSnapshotIdentifier:          pulumi.String(finalSnapshotID(args.NamePrefix, args.Now())),
	}
	// The final snapshot's identifier is unique per instance: stamped with the time the
	// instance is created and kept by ignoreChanges afterwards (no diff on later ups),
	// so a second destroy or a replacement does not fail with DBSnapshotAlreadyExists.
	// A replacement is a create, to which ignoreChanges does not apply: it gets a new stamp.
	instOpts := []pulumi.ResourceOption{parent, pulumi.Protect(args.DeletionProtection),
		pulumi.IgnoreChanges([]string{"finalSnapshotIdentifier"})}
	password := args.Password
	if password == "" {
		// No dbPassword: a fresh 130-bit password (26 characters of A-Z and 2-7, all
		// allowed by RDS) on every run, of which only the first is ever used: with
		// ignoreChanges the engine sends the value in the state instead of the
		// program's on every update (and on a replacement), and uses the program's
		// only when the state has none, i.e. at creation. The instance's password
		// output, which the functions get, is therefore the stored one. No
		// pulumi-random (not on the module proxy here) and no Secrets Manager secret
		// (billed monthly, and unreachable from a VPC without NAT or an endpoint).
		password = rand.Text()
		instOpts = append(instOpts, pulumi.IgnoreChanges([]string{"password"}))
	}
	ia.Password = pulumi.ToSecret(pulumi.String(password)).(pulumi.StringOutput)
	inst, err := rds.NewInstance(ctx, name+"-postgres", ia, instOpts...)
	if err != nil {
		return nil, fmt.Errorf("database %s: instance: %w", name, err)
	}
	d.Host, d.Port, d.ResourceID = inst.Address, inst.Port, inst.ResourceId
	d.Auth = "iam"
	d.Password = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
	d.AdminUser = masterUser
	d.AdminPassword = pulumi.ToSecret(inst.Password.Elem()).(pulumi.StringOutput)
	return sg.ID(), nil
}
