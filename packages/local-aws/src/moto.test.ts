import http from 'node:http';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  ListRulesCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { localClientConfig } from './aws-env';
import {
  findMotoPython,
  freePort,
  MOTO_FAST_LAUNCHER,
  scriptInterpreter,
  type StartedMoto,
  startMoto,
  startMotoZygote,
  waitForEndpoint,
} from './moto';
import { useMoto } from './testing';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a Python run ended with, as spawnSync reports it. */
interface PythonResult {
  readonly status: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The parent of pythonForks(): imports the modules named in argv[1] (JSON), then for each request line
 * ({"code", "argv", "timeout"}) forks a child that runs the code as `python -c` does (a fresh `__main__`, the
 * given sys.argv, stdin from /dev/null, stdout and stderr to files of their own, exit status 0, SystemExit's
 * or 1 with the traceback), and answers one line: {"status", "signal", "stdout", "stderr"}. The parent itself
 * never imports reflex_moto: no child sees another's patches.
 */
const FORK_SERVER = String.raw`
import atexit, builtins, importlib, json, os, signal, sys, tempfile, threading, traceback, types
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
assert not [m for m in sys.modules if m.split(".")[0] == "reflex_moto"], "reflex_moto imported before the fork"
assert threading.active_count() == 1, "threads before the fork"
answers = sys.stdout
print("ready", file=answers, flush=True)

def child(request, out, err):
    status = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        signal.alarm(request["timeout"])  # a hung check dies of SIGALRM
        sys.argv = request["argv"]
        main = types.ModuleType("__main__")
        main.__builtins__ = builtins
        sys.modules["__main__"] = main
        try:
            exec(compile(request["code"], "<string>", "exec"), main.__dict__)
            status = 0
        except SystemExit as done:
            if done.code is None:
                status = 0
            elif isinstance(done.code, int):
                status = done.code
            else:
                print(done.code, file=sys.stderr)
        except BaseException:
            kind, error, tb = sys.exc_info()
            traceback.print_exception(kind, error, tb.tb_next)  # from the check's own frame, as python -c prints it
        threading._shutdown()  # non-daemon threads, then atexit: what the interpreter does at exit
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)

for line in sys.stdin:
    request = json.loads(line)
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        child(request, out, err)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    texts = []
    for f in (out, err):
        f.seek(0)
        texts.append(f.read().decode("utf-8", "replace"))
        f.close()
    answer = {"status": code if code >= 0 else None, "signal": signal.Signals(-code).name if code < 0 else None, "stdout": texts[0], "stderr": texts[1]}
    print(json.dumps(answer), file=answers, flush=True)
`;

/**
 * Python runs in forks of one interpreter that imported `preload` first: each run is a process of its own, which
 * starts from that interpreter's state (the modules imported, nothing else) without paying for the imports.
 * Started before the tests of the enclosing describe, stopped after them; runs one at a time, in order.
 */
function pythonForks(python: () => string, env: NodeJS.ProcessEnv, preload: readonly string[]) {
  let server: ChildProcess | undefined;
  let stderr = '';
  /** Whoever waits for the server's next line: its "ready", then each run's answer, in order. */
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  const nextLine = () => new Promise<string>((resolve, reject) => waiting.push({ resolve, reject }));
  beforeAll(async () => {
    server = spawn(python(), ['-c', FORK_SERVER, JSON.stringify(preload)], { stdio: ['pipe', 'pipe', 'pipe'], env });
    server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: server.stdout! }).on('line', (line) => waiting.shift()?.resolve(line));
    server.once('exit', (code, signal) => {
      for (const w of waiting.splice(0)) w.reject(new Error(`the Python fork server exited (${signal ?? code}): ${stderr}`));
    });
    expect(await nextLine()).toBe('ready');
  }, 30_000);
  afterAll(async () => {
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.stdin!.end();
    const timer = setTimeout(() => server!.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  });
  return {
    /** Runs `code` as `python -c code ...argv` would, in a fork; `timeoutSeconds` ends it with SIGALRM. */
    async run(code: string, argv: readonly string[] = [], timeoutSeconds = 30): Promise<PythonResult> {
      if (!server?.stdin) throw new Error('pythonForks: the server starts in beforeAll; run inside a test');
      const answer = nextLine();
      server.stdin.write(`${JSON.stringify({ code, argv: ['-c', ...argv], timeout: timeoutSeconds })}\n`);
      return JSON.parse(await answer) as PythonResult;
    },
  };
}

describe('startMoto', () => {
  it('starts the patched moto server on a loopback port and stops it again', async () => {
    const aws = await startMoto();
    expect(aws.launcher).toBe('patched');
    expect(aws.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${aws.endpoint}/moto-api/`)).ok).toBe(true);
    await aws.stop();
    await expect(fetch(aws.endpoint)).rejects.toThrow();
  }, 30_000);

  it('starts the plain moto_server with REFLEX_MOTO_PLAIN=1', async () => {
    const before = process.env.REFLEX_MOTO_PLAIN;
    process.env.REFLEX_MOTO_PLAIN = '1';
    let aws: StartedMoto | undefined;
    try {
      aws = await startMoto();
      expect(aws.launcher).toBe('moto_server');
      expect((await fetch(`${aws.endpoint}/moto-api/`)).ok).toBe(true);
    } finally {
      if (before === undefined) delete process.env.REFLEX_MOTO_PLAIN;
      else process.env.REFLEX_MOTO_PLAIN = before;
      await aws?.stop();
    }
  }, 30_000);
});

describe('the moto zygote (a test run\'s moto factory)', () => {
  it('forks servers with moto imported: each answers with its own state, and stops', async () => {
    const before = process.env.REFLEX_MOTO_ZYGOTE;
    const zygote = await startMotoZygote(mkdtempSync(join(tmpdir(), 'reflex-zygote-')));
    expect(zygote).toBeDefined();
    process.env.REFLEX_MOTO_ZYGOTE = zygote!.socket;
    const servers: StartedMoto[] = [];
    try {
      servers.push(await startMoto(), await startMoto());
      const [a, b] = servers as [StartedMoto, StartedMoto];
      const sqs = (aws: StartedMoto) => new SQSClient(localClientConfig(aws.endpoint));
      await sqs(a).send(new CreateQueueCommand({ QueueName: 'only-in-a' }));

      const inA = (await sqs(a).send(new ListQueuesCommand({}))).QueueUrls ?? [];
      const inB = (await sqs(b).send(new ListQueuesCommand({}))).QueueUrls ?? [];
      await a.stop();

      expect(a.pid).not.toBe(b.pid);
      expect(inA.map((u) => u.split('/').pop())).toEqual(['only-in-a']);
      expect(inB).toEqual([]);
      await expect(fetch(a.endpoint)).rejects.toThrow();
      expect((await fetch(`${b.endpoint}/moto-api/`)).ok).toBe(true);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      process.kill(zygote!.pid, 'SIGTERM');
      if (before === undefined) delete process.env.REFLEX_MOTO_ZYGOTE;
      else process.env.REFLEX_MOTO_ZYGOTE = before;
    }
  }, 60_000);
});

describe('moto_server_fast.py and its patches (reflex_moto)', () => {
  const python = () => {
    const found = findMotoPython();
    if (!found) throw new Error('no Python with moto.server');
    return found;
  };
  // reflex_moto importable, as the launcher makes it for itself; no __pycache__ left in the source tree.
  const env = {
    ...process.env,
    PYTHONPATH: [dirname(MOTO_FAST_LAUNCHER), process.env.PYTHONPATH].filter(Boolean).join(delimiter),
    PYTHONDONTWRITEBYTECODE: '1',
  };
  /** A fresh `python -c code`: for the checks that change moto before it is imported (the launcher's own start). */
  const run = (code: string) => spawnSync(python(), ['-c', code, MOTO_FAST_LAUNCHER], { encoding: 'utf8', timeout: 30_000, env });
  /**
   * `python -c code` in a fork of one interpreter that has imported moto (EC2 included) and no patch: each
   * check still runs in a process of its own, on unpatched moto, without paying moto's imports again (~0.5 s
   * of CPU each, ~2 s more with EC2). For checks that do not depend on what is imported before them.
   */
  const forks = pythonForks(python, env, ['boto3', 'moto', 'moto.core.utils', 'moto.sqs.models', 'moto.ec2']);
  const check = (code: string) => forks.run(code, [MOTO_FAST_LAUNCHER]);

  it('patches moto.core.utils and moto.sqs.models with the same clock', async () => {
    const result = await check(`
import datetime
from reflex_moto import apply_patch
import moto.core.utils as u, moto.sqs.models as m
original = u.unix_time
assert apply_patch("core_clock") is None
assert u.unix_time is not original
assert m.unix_time is u.unix_time and m.unix_time_millis is u.unix_time_millis
# With an argument: moto's own computation.
dt = datetime.datetime(2020, 1, 2, 3, 4, 5, 678000)
assert u.unix_time(dt) == original(dt) == 1577934245.678, u.unix_time(dt)
assert u.unix_time_millis(dt) == original(dt) * 1000.0
# Without: "now" between two readings of moto's datetime clock (which rounds to the microsecond).
before = original(u.utcnow()); now = u.unix_time(); now_ms = u.unix_time_millis(); after = original(u.utcnow())
assert before - 1e-6 <= now <= now_ms / 1000.0 <= after + 1e-6, (before, now, now_ms, after)
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('checks retention from the queue, as moto does, without building every attribute', async () => {
    const result = await check(`
import time
from reflex_moto import apply_patch
from moto.sqs.models import SQSBackend
original = SQSBackend.is_message_valid_based_on_retention_period
assert apply_patch("sqs_retention_check") is None
patched = SQSBackend.is_message_valid_based_on_retention_period
assert patched is not original
backend = SQSBackend("us-east-1", "123456789012")
queue = backend.create_queue("q", MessageRetentionPeriod="60")
class Sent:  # a message sent age seconds ago
    def __init__(self, age): self.sent_timestamp = (time.time() - age) * 1000
for age in (0, 30, 59, 61, 3600):
    assert patched(backend, "q", Sent(age)) == original(backend, "q", Sent(age)) == (age < 60), age
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it("sets TCP_NODELAY on werkzeug's connections: a body written after the headers is not held for their ACK", async () => {
    const result = await check(`
import logging, socket, threading, urllib.request
from reflex_moto import apply_patch
from werkzeug.serving import make_server
logging.getLogger("werkzeug").disabled = True  # its request log
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(environ["werkzeug.socket"].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)).encode()]
def nodelay():
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/").read().decode() != "0"
    finally:
        server.shutdown()
assert nodelay() is False
assert apply_patch("http_no_delay") is None
assert nodelay() is True
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('answers DryRun, a missing entry and a missing network ACL as EC2 does', async () => {
    const result = await check(`
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from reflex_moto import apply_patch
assert apply_patch("ec2_nacl_entries") is None
with mock_aws():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"][0]["NetworkAclId"]
    entry = dict(NetworkAclId=acl, RuleNumber=7, Protocol="-1", RuleAction="deny", Egress=False, CidrBlock="198.51.100.7/32")
    def code(call, **args):
        try:
            call(**args)
        except ClientError as error:
            return error.response["Error"]["Code"]
        return "ok"
    numbers = lambda: sorted(e["RuleNumber"] for e in ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"] if not e["Egress"])
    assert code(ec2.create_network_acl_entry, DryRun=True, **entry) == "DryRunOperation"
    assert numbers() == [100, 32767], numbers()
    assert code(ec2.create_network_acl_entry, **entry) == "ok"
    assert code(ec2.replace_network_acl_entry, DryRun=True, **{**entry, "CidrBlock": "198.51.100.8/32"}) == "DryRunOperation"
    assert code(ec2.delete_network_acl_entry, DryRun=True, NetworkAclId=acl, RuleNumber=7, Egress=False) == "DryRunOperation"
    assert numbers() == [7, 100, 32767], numbers()
    assert code(ec2.delete_network_acl_entry, NetworkAclId=acl, RuleNumber=7, Egress=False) == "ok"
    assert code(ec2.delete_network_acl_entry, NetworkAclId=acl, RuleNumber=7, Egress=False) == "InvalidNetworkAclEntry.NotFound"
    assert code(ec2.delete_network_acl_entry, NetworkAclId="acl-0123456789abcdef0", RuleNumber=7, Egress=False) == "InvalidNetworkAclID.NotFound"
    assert code(ec2.describe_network_acls, NetworkAclIds=[acl, "acl-0123456789abcdef0"]) == "InvalidNetworkAclID.NotFound"
    assert len(ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"]) == 1
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('answers DryRun on route writes, a duplicate and a missing transit gateway route as EC2 does, and keeps its attachment', async () => {
    const result = await check(`
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from reflex_moto import apply_patch
assert apply_patch("ec2_routes") is None
with mock_aws():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    rt = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    attachment = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet])["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    route = dict(TransitGatewayRouteTableId=rt, DestinationCidrBlock="10.20.0.0/16", TransitGatewayAttachmentId=attachment)
    gone = dict(TransitGatewayRouteTableId=rt, DestinationCidrBlock="10.20.0.0/16")
    def code(call, **args):
        try:
            call(**args)
        except ClientError as error:
            return error.response["Error"]["Code"]
        return "ok"
    routes = lambda: [(r["DestinationCidrBlock"], [a["TransitGatewayAttachmentId"] for a in r["TransitGatewayAttachments"]])
                      for r in ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=rt, Filters=[{"Name": "type", "Values": ["static"]}])["Routes"]]
    assert code(ec2.create_transit_gateway_route, DryRun=True, **route) == "DryRunOperation"
    assert routes() == [], routes()
    assert code(ec2.create_transit_gateway_route, **route) == "ok"
    assert routes() == [("10.20.0.0/16", [attachment])], routes()
    assert code(ec2.create_transit_gateway_route, **route) == "RouteAlreadyExists"
    assert code(ec2.delete_transit_gateway_route, DryRun=True, **gone) == "DryRunOperation"
    assert code(ec2.delete_transit_gateway_route, **gone) == "ok"
    assert code(ec2.delete_transit_gateway_route, **gone) == "InvalidRoute.NotFound"
    assert code(ec2.delete_transit_gateway_route, **{**gone, "TransitGatewayRouteTableId": "tgw-rtb-0123456789abcdef0"}) == "InvalidRouteTableID.NotFound"
    assert code(ec2.create_transit_gateway_route, **{**route, "TransitGatewayRouteTableId": "tgw-rtb-0123456789abcdef0"}) == "InvalidRouteTableID.NotFound"
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    vpc_route = dict(RouteTableId=rtb, DestinationCidrBlock="10.20.0.0/16")
    destinations = lambda: [r["DestinationCidrBlock"] for r in ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]]
    assert code(ec2.create_route, DryRun=True, TransitGatewayId=tgw, **vpc_route) == "DryRunOperation"
    assert destinations() == ["10.0.0.0/16"], destinations()
    assert code(ec2.create_route, TransitGatewayId=tgw, **vpc_route) == "ok"
    assert code(ec2.delete_route, DryRun=True, **vpc_route) == "DryRunOperation"
    assert destinations() == ["10.0.0.0/16", "10.20.0.0/16"], destinations()
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('lists the CIDR blocks of propagating VPC attachments as propagated routes, one route per destination, and filters as EC2 does', async () => {
    const result = await check(`
import boto3
from moto import mock_aws
from reflex_moto import apply_patch
assert apply_patch("ec2_tgw_propagation") is None
with mock_aws():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    rt = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    def attach(*cidrs):
        vpc = ec2.create_vpc(CidrBlock=cidrs[0])["Vpc"]["VpcId"]
        for cidr in cidrs[1:]:
            ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock=cidr)
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidrs[0].replace("0.0/16", "1.0/24"))["Subnet"]["SubnetId"]
        attachment = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet])["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        return vpc, attachment
    vpc_a, a = attach("10.1.0.0/16", "10.2.0.0/16")
    vpc_b, b = attach("10.3.0.0/16")
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=a)
    def search(*filters, **args):
        return ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=rt, Filters=[{"Name": n, "Values": v} for n, v in filters], **args)
    everything = ("route-search.subnet-of-match", ["0.0.0.0/0"])
    routes = lambda *filters: [(r["DestinationCidrBlock"], r["Type"], r["State"], [x["TransitGatewayAttachmentId"] for x in r.get("TransitGatewayAttachments", [])])
                               for r in search(*(filters or (everything,)))["Routes"]]
    assert routes() == [], routes()
    for attachment in (a, b):
        ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=attachment)
    assert search(everything)["Routes"][0] == {
        "DestinationCidrBlock": "10.1.0.0/16", "Type": "propagated", "State": "active",
        "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": a, "ResourceId": vpc_a, "ResourceType": "vpc"}],
    }, search(everything)["Routes"][0]
    assert routes() == [("10.1.0.0/16", "propagated", "active", [a]), ("10.2.0.0/16", "propagated", "active", [a]), ("10.3.0.0/16", "propagated", "active", [b])], routes()

    # A static route for a propagated destination: created, listed instead of the propagated one; deleted: the propagated one again.
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=rt, DestinationCidrBlock="10.1.0.0/16", TransitGatewayAttachmentId=b)
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=rt, DestinationCidrBlock="10.1.2.0/24", Blackhole=True)
    assert routes() == [("10.1.0.0/16", "static", "active", [b]), ("10.1.2.0/24", "static", "blackhole", []), ("10.2.0.0/16", "propagated", "active", [a]), ("10.3.0.0/16", "propagated", "active", [b])], routes()
    assert [r[0] for r in routes(("type", ["propagated"]))] == ["10.2.0.0/16", "10.3.0.0/16"]
    assert [r[0] for r in routes(("type", ["static"]), ("state", ["active"]))] == ["10.1.0.0/16"]
    assert [r[0] for r in routes(("state", ["blackhole"]))] == ["10.1.2.0/24"]
    assert [r[0] for r in routes(("route-search.exact-match", ["10.3.0.0/16"]))] == ["10.3.0.0/16"]
    assert [r[0] for r in routes(("route-search.subnet-of-match", ["10.1.0.0/16", "10.3.0.0/16"]))] == ["10.1.0.0/16", "10.1.2.0/24", "10.3.0.0/16"]
    assert [r[0] for r in routes(("route-search.subnet-of-match", ["10.2.0.0/17"]))] == []
    assert [r[0] for r in routes(("route-search.supernet-of-match", ["10.1.2.0/25"]))] == ["10.1.0.0/16", "10.1.2.0/24"]
    assert [r[0] for r in routes(("route-search.longest-prefix-match", ["10.1.2.3/32"]))] == ["10.1.2.0/24"]
    assert [r[0] for r in routes(("route-search.longest-prefix-match", ["10.1.2.3/32"]), ("state", ["active"]))] == ["10.1.0.0/16"]
    assert [r[0] for r in routes(everything, ("attachment.transit-gateway-attachment-id", [b]))] == ["10.1.0.0/16", "10.3.0.0/16"]
    assert [r[0] for r in routes(everything, ("attachment.resource-id", [vpc_a]), ("attachment.resource-type", ["vpc"]))] == ["10.2.0.0/16"]
    page = search(everything, MaxResults=5)
    assert len(page["Routes"]) == 4 and page["AdditionalRoutesAvailable"] is False, page
    for i in range(2):
        ec2.create_transit_gateway_route(TransitGatewayRouteTableId=rt, DestinationCidrBlock=f"192.0.2.{i * 8}/29", TransitGatewayAttachmentId=a)
    page = search(everything, MaxResults=5)
    assert len(page["Routes"]) == 5 and page["AdditionalRoutesAvailable"] is True, page
    ec2.delete_transit_gateway_route(TransitGatewayRouteTableId=rt, DestinationCidrBlock="10.1.0.0/16")
    assert routes()[:2] == [("10.1.0.0/16", "propagated", "active", [a]), ("10.1.2.0/24", "static", "blackhole", [])], routes()

    # Disabled, the attachment's routes go; a CIDR block associated with a propagating VPC comes.
    ec2.disable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=a)
    ec2.associate_vpc_cidr_block(VpcId=vpc_b, CidrBlock="10.4.0.0/16")
    assert routes(("type", ["propagated"])) == [("10.3.0.0/16", "propagated", "active", [b]), ("10.4.0.0/16", "propagated", "active", [b])], routes()
    propagations = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=rt)["TransitGatewayRouteTablePropagations"]
    assert [(p["TransitGatewayAttachmentId"], p["State"]) for p in propagations] == [(b, "enabled")], propagations
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('reports two tunnels of an available VPN connection, UP unless the local tag reflex:local-tunnels-up says fewer', async () => {
    const result = await check(`
import time
import boto3
from moto import mock_aws
from reflex_moto import apply_patch
assert apply_patch("ec2_vpn_telemetry") is None
with mock_aws():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="198.51.100.200", BgpAsn=65000)["CustomerGateway"]["CustomerGatewayId"]
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, TransitGatewayId=tgw)["VpnConnection"]["VpnConnectionId"]
    telemetry = lambda: ec2.describe_vpn_connections(VpnConnectionIds=[vpn])["VpnConnections"][0].get("VgwTelemetry")
    tunnels = telemetry()
    assert [sorted(t) for t in tunnels] == [["AcceptedRouteCount", "LastStatusChange", "OutsideIpAddress", "Status", "StatusMessage"]] * 2, tunnels
    assert [(t["Status"], t["StatusMessage"], t["AcceptedRouteCount"]) for t in tunnels] == [("UP", "IPSEC IS UP", 0)] * 2, tunnels
    addresses = [t["OutsideIpAddress"] for t in tunnels]
    assert len(set(addresses)) == 2 and addresses[0].startswith("203.0.113.") and addresses[1].startswith("198.51.100."), addresses
    created = tunnels[0]["LastStatusChange"]
    assert tunnels[1]["LastStatusChange"] == created
    time.sleep(1.1)
    def tag(value):
        ec2.create_tags(Resources=[vpn], Tags=[{"Key": "reflex:local-tunnels-up", "Value": value}])
        return [(t["Status"], t["StatusMessage"], t["OutsideIpAddress"]) for t in telemetry()]
    assert tag("1") == [("UP", "IPSEC IS UP", addresses[0]), ("DOWN", "IPSEC IS DOWN", addresses[1])]
    tunnels = telemetry()
    assert tunnels[0]["LastStatusChange"] == created and tunnels[1]["LastStatusChange"] > created, tunnels
    assert [s for s, _, _ in tag("0")] == ["DOWN", "DOWN"]
    assert [s for s, _, _ in tag("many")] == ["UP", "UP"]  # not 0, 1 or 2: both up
    assert [s for s, _, _ in tag("0")] == ["DOWN", "DOWN"]
    ec2.delete_tags(Resources=[vpn], Tags=[{"Key": "reflex:local-tunnels-up"}])
    assert [t["Status"] for t in telemetry()] == ["UP", "UP"]
    ec2.delete_vpn_connection(VpnConnectionId=vpn)
    assert telemetry() is None  # deleted: no tunnels
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('renders EventBridge target input as moto does, parsing each input path once', async () => {
    const result = await check(`
import jsonpath_ng.ext as ext
from reflex_moto import apply_patch
from moto.events.utils import EventTemplateParser
parsed = []
real = ext.parse
ext.parse = lambda path, *args, **kwargs: parsed.append(path) or real(path, *args, **kwargs)
event = {"version": "0", "id": "e-1", "detail-type": "Reflex Action", "source": "reflex", "account": "123456789012", "time": 1765000000.5,
         "region": "us-east-1", "resources": ["arn:aws:ec2:us-east-1:123456789012:network-acl/acl-1"], "detail": {"reason": "r"}, "ingestion-time": 1765000001}
transformer = ('{"why": "<why>", "at": <aws.events.event.ingestion-time>}', {"why": "$.detail.reason"})
expected = [EventTemplateParser.parse(None, {}, event), EventTemplateParser.parse(*transformer, event)]
assert len(parsed) == 9, parsed  # moto's: the eight paths of the default map, then the transformer's one
assert apply_patch("events_jsonpath_cache") is None
del parsed[:]
assert [EventTemplateParser.parse(None, {}, event), EventTemplateParser.parse(*transformer, event)] == expected, expected
assert [EventTemplateParser.parse(None, {}, event), EventTemplateParser.parse(*transformer, event)] == expected
assert len(parsed) == 9, parsed  # each path once
assert EventTemplateParser.parse(*transformer, {**event, "detail": {"reason": "other"}})["why"] == "other"
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('delivers no event to a schedule rule, as EventBridge, and still every matching one to a pattern rule', async () => {
    const result = await check(`
import json
from reflex_moto import apply_patch
from moto.events.models import Rule
delivered = []
def rule(pattern, schedule):
    r = Rule("r", "123456789012", "us-east-1", None, pattern, schedule, None, "default", None)
    r.targets = [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}]
    return r
event = {"version": "0", "id": "e-1", "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch", "account": "123456789012",
         "time": 1765000000.5, "region": "us-east-1", "resources": [], "detail": {}, "ingestion-time": 1765000001}
import moto.events.models as models
models.Rule._send_to_sqs_queue = lambda self, resource_id, event, group_id=None: delivered.append(self.scheduled_expression)
schedule, pattern = rule(None, "rate(1 hour)"), rule(json.dumps({"source": ["aws.cloudwatch"]}), None)
schedule.send_to_targets(event)
assert delivered == ["rate(1 hour)"], delivered  # moto's: the schedule rule takes the event
del delivered[:]
assert apply_patch("events_schedule_rules") is None
schedule.send_to_targets(event)
pattern.send_to_targets(event)
assert delivered == [None], delivered
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('lets a caller assume a role only as its trust policy allows, as STS does, with credentials that act in the role\'s account', async () => {
    const result = await check(`
import json
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from reflex_moto import apply_patch
HUB, MEMBER = "123456789012", "210987654321"
def client(service, account=None, credentials=None):
    keys = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}  # local mode's key: moto's default identity
    if credentials:
        keys = {"aws_access_key_id": credentials["AccessKeyId"], "aws_secret_access_key": credentials["SecretAccessKey"], "aws_session_token": credentials["SessionToken"]}
    made = boto3.client(service, region_name="us-east-1", **keys)
    if account:  # moto's header: the request acts in that account
        made.meta.events.register("request-created", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account))
    return made
allow = lambda principal, **more: {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **more}
with mock_aws():
    sts, iam = client("sts"), {HUB: client("iam", HUB), MEMBER: client("iam", MEMBER)}
    def role(account, name, *statements):
        document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        return iam[account].create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"]
    def assume(arn, caller=sts, **args):
        try:
            return caller.assume_role(**{"RoleArn": arn, "RoleSessionName": "reflex", **args})
        except ClientError as error:
            return (error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"]["Code"], error.response["Error"]["Message"])
    def refused(arn, caller=sts, **args):
        answer = assume(arn, caller, **args)
        assert isinstance(answer, dict) or answer[:2] == (403, "AccessDenied"), answer
        return not isinstance(answer, dict)
    missing = f"arn:aws:iam::{MEMBER}:role/missing"
    assert "Credentials" in assume(missing)  # moto's: any role, even one that does not exist
    assert apply_patch("sts_assume_role_trust") is None
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{HUB}:user/moto"  # the test key, as moto sees it
    assert assume(missing) == (403, "AccessDenied", f"User: arn:aws:sts::{HUB}:user/moto is not authorized to perform: sts:AssumeRole on resource: {missing}"), assume(missing)

    hub_access = role(MEMBER, "hub-access", allow({"AWS": f"arn:aws:iam::{HUB}:root"}, Condition={"StringEquals": {"sts:ExternalId": "reflex-hub"}}))
    assert refused(hub_access) and refused(hub_access, ExternalId="other")
    granted = assume(hub_access, ExternalId="reflex-hub")
    assert granted["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{MEMBER}:assumed-role/hub-access/reflex", granted
    identity = client("sts", credentials=granted["Credentials"]).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (MEMBER, f"arn:aws:sts::{MEMBER}:assumed-role/hub-access/reflex"), identity

    assert refused(role(MEMBER, "other-account", allow({"AWS": "111122223333"})))
    assert not refused(role(MEMBER, "by-id", allow({"AWS": [HUB]})))
    assert not refused(role(MEMBER, "like", allow({"AWS": HUB}, Condition={"StringLike": {"sts:ExternalId": "reflex-*"}})), ExternalId="reflex-1")
    assert refused(role(MEMBER, "service", allow({"Service": "lambda.amazonaws.com"})))
    assert refused(role(MEMBER, "tag-only", {**allow({"AWS": HUB}), "Action": "sts:TagSession"}))
    assert not refused(role(MEMBER, "any-action", {**allow({"AWS": HUB}), "Action": ["sts:*"]}))
    # aws:PrincipalOrgID cannot be evaluated: met in an Allow, and a Deny that needs it does not apply.
    assert not refused(role(MEMBER, "org", allow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}})))
    outside_org = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}}
    assert not refused(role(MEMBER, "deny-outside-org", allow({"AWS": HUB}), outside_org))
    assert refused(role(MEMBER, "denied", allow({"AWS": HUB}), {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*"}))
    # The test key could be any identity of its account: a role of that account matches it, one of another does not.
    assert not refused(role(MEMBER, "hub-role", allow({"AWS": f"arn:aws:iam::{HUB}:role/reflex-hub"})))
    assert refused(role(MEMBER, "member-role", allow({"AWS": f"arn:aws:iam::{MEMBER}:role/reflex-hub"})))

    # Chained: a session of role a (hub) assumes b in the member when b's trust names a exactly.
    a, c = role(HUB, "a", allow({"AWS": HUB})), role(HUB, "c", allow({"AWS": HUB}))
    session_a = client("sts", credentials=assume(a)["Credentials"])
    trusts_a, trusts_c = role(MEMBER, "trusts-a", allow({"AWS": a})), role(MEMBER, "trusts-c", allow({"AWS": c}))
    assert assume(trusts_a, session_a)["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{MEMBER}:assumed-role/trusts-a/reflex"
    assert assume(trusts_c, session_a) == (403, "AccessDenied", f"User: arn:aws:sts::{HUB}:assumed-role/a/reflex is not authorized to perform: sts:AssumeRole on resource: {trusts_c}")
    assert not refused(role(MEMBER, "account-of-a", allow({"AWS": HUB})), session_a)  # a session of the account
    # An IAM user's key: its own ARN matches, a role of its account does not.
    iam[HUB].create_user(UserName="alice")
    alice = iam[HUB].create_access_key(UserName="alice")["AccessKey"]
    alice_sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id=alice["AccessKeyId"], aws_secret_access_key=alice["SecretAccessKey"])
    assert not refused(role(MEMBER, "trusts-alice", allow({"AWS": f"arn:aws:iam::{HUB}:user/alice"})), alice_sts)
    assert refused(role(MEMBER, "trusts-hub-role", allow({"AWS": f"arn:aws:iam::{HUB}:role/reflex-hub"})), alice_sts)
    # moto's validation still comes first; its other calls are as they were.
    assert assume(hub_access, RoleSessionName="x" * 65)[1] == "ValidationError"
    assert sts.get_session_token()["Credentials"]["AccessKeyId"]
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it("puts the account into events delivered without an input transformer, as EventBridge does", async () => {
    const result = await check(`
import json
import boto3
from moto import mock_aws
from reflex_moto import apply_patch
from moto.events.utils import EventTemplateParser
event = {"version": "0", "id": "e-1", "detail-type": "Reflex Action", "source": "reflex", "account": "210987654321", "time": 1765000000.5,
         "region": "us-east-1", "resources": [], "detail": {"reason": "r"}, "ingestion-time": 1765000001}
transformer = ('{"why": "<why>"}', {"why": "$.detail.reason"})
before = EventTemplateParser.parse(None, {}, event)
assert "account" not in before, before  # moto's
assert apply_patch("events_account_field") is None
after = EventTemplateParser.parse(None, {}, event)
assert after == {**before, "account": "210987654321"}, after
assert list(after)[:5] == ["id", "time", "version", "detail-type", "source"] and list(after)[5] == "account", list(after)
assert EventTemplateParser.parse(*transformer, event) == {"why": "r"}  # a transformer's template: as it was
with mock_aws():
    sqs, events = boto3.client("sqs", region_name="us-east-1"), boto3.client("events", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["reflex"]}))
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    events.put_events(Entries=[{"Source": "reflex", "DetailType": "Reflex Action", "Detail": "{}"}])
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"])["account"] == "123456789012", message["Body"]
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it("delivers an event to a bus target as it is, to another account's bus only as the bus's policy allows", async () => {
    const result = await check(`
import datetime, json
import boto3
from moto import mock_aws
from reflex_moto import apply_patch
MEMBER, HUB = "210987654321", "123456789012"
def client(service, account):
    made = boto3.client(service, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    made.meta.events.register("request-created", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account))
    return made
everything = json.dumps({"source": [{"prefix": ""}]})
with mock_aws():
    member, hub, hub_sqs = client("events", MEMBER), client("events", HUB), client("sqs", HUB)
    def bus_to_queue(bus, policy=None):
        """A bus of the hub whose one rule sends every event to a queue of its own; returns the queue's URL."""
        hub.create_event_bus(Name=bus)
        if policy:
            hub.put_permission(EventBusName=bus, Policy=json.dumps({"Version": "2012-10-17", "Statement": policy}))
        url = hub_sqs.create_queue(QueueName=bus)["QueueUrl"]
        arn = hub_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        hub.put_rule(Name="all", EventBusName=bus, EventPattern=everything)
        hub.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
        return url
    def received(url):
        messages = hub_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for m in messages:
            hub_sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return [json.loads(m["Body"]) for m in messages]
    def members(**more):
        return {"Sid": "members", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"}, "Action": "events:PutEvents",
                "Resource": f"arn:aws:events:us-east-1:{HUB}:event-bus/x", **more}
    only_alarms = bus_to_queue("alarms", [members(Condition={"StringEquals": {"events:source": ["aws.cloudwatch"]}})])
    org = bus_to_queue("org", [{**members(), "Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}}])
    closed = bus_to_queue("closed")
    bus = lambda name: {"Id": name, "Arn": f"arn:aws:events:us-east-1:{HUB}:event-bus/{name}"}
    member.put_rule(Name="to-hub", EventPattern=everything)
    member.put_targets(Rule="to-hub", Targets=[bus("alarms"), bus("org"), bus("closed")])
    put = lambda source: member.put_events(Entries=[{"Source": source, "DetailType": "CloudWatch Alarm State Change", "Detail": json.dumps({"state": {"value": "ALARM"}}),
                                                     "Resources": [f"arn:aws:cloudwatch:us-east-1:{MEMBER}:alarm:a"], "Time": datetime.datetime(2026, 1, 2, 3, 4, 5)}])["Entries"][0]

    # moto's: a new event (and no account in what reaches the queue), on every bus, policy or not.
    sent = put("aws.cloudwatch")
    [event] = received(only_alarms)
    assert event["id"] != sent["EventId"] and "account" not in event and event["resources"] == [], event
    assert len(received(closed)) == len(received(org)) == 1

    for patch in ("events_schedule_rules", "events_account_field", "events_cross_account_bus"):  # in the launcher's order
        assert apply_patch(patch) is None, patch
    member.put_targets(Rule="to-hub", Targets=[bus("missing")])  # moto's PutEvents would fail on it
    member.put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")  # matches no event, as it did not before
    member.put_targets(Rule="hourly", Targets=[bus("org")])
    sent = put("aws.cloudwatch")
    assert "ErrorCode" not in sent, sent
    expected = {"version": "0", "id": sent["EventId"], "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch", "account": MEMBER,
                "time": "2026-01-02T03:04:05Z", "region": "us-east-1", "resources": [f"arn:aws:cloudwatch:us-east-1:{MEMBER}:alarm:a"], "detail": {"state": {"value": "ALARM"}}}
    assert received(only_alarms) == [expected], expected
    assert received(org) == [expected]  # a principal "*" limited to an organization: met
    assert received(closed) == []  # no policy: not delivered
    assert "ErrorCode" not in put("reflex"), "a source the policy does not list"
    assert received(only_alarms) == [] and [e["source"] for e in received(org)] == ["reflex"]

    # A bus of the same account needs no policy; an event that came through a bus target is not forwarded again.
    hub_bus = bus_to_queue("hub-bus")
    third = bus_to_queue("third")
    hub.put_rule(Name="on", EventBusName="alarms", EventPattern=everything)
    hub.put_targets(Rule="on", EventBusName="alarms", Targets=[bus("hub-bus")])
    hub.put_rule(Name="on", EventBusName="default", EventPattern=everything)
    hub.put_targets(Rule="on", Targets=[bus("hub-bus")])
    hub.put_rule(Name="on", EventBusName="hub-bus", EventPattern=everything)
    hub.put_targets(Rule="on", EventBusName="hub-bus", Targets=[bus("third")])
    own = hub.put_events(Entries=[{"Source": "reflex", "DetailType": "Reflex Action", "Detail": "{}"}])["Entries"][0]
    assert [(e["id"], e["account"]) for e in received(hub_bus)] == [(own["EventId"], HUB)]
    assert received(third) == []
    sent = put("aws.cloudwatch")
    assert [e["id"] for e in received(only_alarms)] == [sent["EventId"]] and received(hub_bus) == []
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it("remembers which backend serves a host instead of scanning moto's package directory per request", async () => {
    const result = await check(`
from reflex_moto import apply_patch
import moto.backends as backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
hosts = ["sqs.us-east-1.amazonaws.com", "ec2.eu-west-1.amazonaws.com", "moto_api", "sqs", None, "nothing.example"]
expected = [DomainDispatcherApplication(create_backend_app).get_backend_for_host(h) for h in hosts]
assert apply_patch("core_backend_lookup") is None
app = DomainDispatcherApplication(create_backend_app)
assert [app.get_backend_for_host(h) for h in hosts] == expected == ["sqs", "ec2", "moto_api", "sqs", None, None], expected
# Known hosts are answered from memory: moto's scan of its package directory is not consulted again.
def scan():
    raise AssertionError("scanned moto's modules")
backends.list_of_moto_modules = scan
assert [app.get_backend_for_host(h) for h in hosts[:4]] == expected[:4]
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('caches camelcase_to_underscores, with the same answers, in every module that imported it', async () => {
    const result = await check(`
from reflex_moto import apply_patch
import moto.core.responses as r, moto.core.utils as u, moto.sqs.models as m
original = u.camelcase_to_underscores
assert apply_patch("core_camelcase_cache") is None
assert u.camelcase_to_underscores is not original
assert r.camelcase_to_underscores is u.camelcase_to_underscores and m.camelcase_to_underscores is u.camelcase_to_underscores
for _ in range(2):  # computed, then cached
    for s in ("ApproximateNumberOfMessagesNotVisible", "ReceiveMessage", "SqsManagedSseEnabled", "KMSKeyId", "a B", ""):
        assert u.camelcase_to_underscores(s) == original(s), s
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it("draws receipt handles of 185 lowercase letters from moto's (seedable) random generator", async () => {
    const result = await check(`
import string
from reflex_moto import apply_patch
import moto.sqs.models as m, moto.sqs.utils as su
from moto.moto_api._internal import mock_random
assert apply_patch("sqs_receipt_handles") is None
assert m.generate_receipt_handle is su.generate_receipt_handle
handles = [m.generate_receipt_handle() for _ in range(2000)]
assert all(len(h) == 185 and set(h) <= set(string.ascii_lowercase) for h in handles)
assert len(set(handles)) == len(handles) and set("".join(handles)) == set(string.ascii_lowercase)
# Drawn from moto's random generator: seeding moto (POST /moto-api/seed) still makes them reproducible.
mock_random.seed(42); first = m.generate_receipt_handle()
mock_random.seed(42); assert m.generate_receipt_handle() == first
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('copies a received message as deepcopy does: an equal, independent copy that moto tracks', async () => {
    const result = await check(`
import copy
from reflex_moto import apply_patch
import moto.sqs.models as m
assert apply_patch("sqs_message_copy") is None
assert m.deepcopy is not copy.deepcopy
message = m.Message("id-1", "body", system_attributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1"}})
message.message_attributes = {
    "a": {"DataType": "String", "StringValue": "x"},
    "b": {"DataType": "Binary", "BinaryValue": bytes([0, 1])},
    "c": {"DataType": "String", "StringListValues": ["p", "q"]},
}
message.mark_sent()
message.mark_received(visibility_timeout=30)
message.mark_received(visibility_timeout=30)
fast, slow = m.deepcopy(message), copy.deepcopy(message)
assert type(fast) is m.Message and vars(fast) == vars(slow) == vars(message)
assert any(tracked is fast for tracked in m.Message.instances_tracked)  # moto lists copies, as it does deepcopy's
for name in ("message_attributes", "system_attributes", "_old_receipt_handles"):
    assert getattr(fast, name) is not getattr(message, name), name
assert fast.message_attributes["c"]["StringListValues"] is not message.message_attributes["c"]["StringListValues"]
m._filter_message_attributes(fast, ["a"])
assert list(fast.message_attributes) == ["a"] and list(message.message_attributes) == ["a", "b", "c"]
pending = {"g1", "g2"}
assert m.deepcopy(pending) == pending and m.deepcopy(pending) is not pending  # anything else: copy.deepcopy
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('reads pending message groups from a snapshot, with the same answer', async () => {
    const result = await check(`
from reflex_moto import apply_patch
import moto.sqs.models as m
original = m.Queue.pending_message_groups
assert apply_patch("sqs_pending_groups_snapshot") is None
backend = m.sqs_backends["123456789012"]["us-east-1"]
queue = backend.create_queue("q.fifo", FifoQueue="true", ContentBasedDeduplication="true")
assert queue.pending_message_groups == original.fget(queue) == set()
for i, group in enumerate(["g1", "g1", "g2", None]):
    message = m.Message(str(i), "body")
    message.group_id = group
    queue.pending_messages.add(message)
assert queue.pending_message_groups == original.fget(queue) == {"g1", "g2"}
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('deletes by receipt handle with the same outcomes as moto, through an index', async () => {
    const result = await check(`
import json
from reflex_moto import apply_patch
import moto.sqs.models as m
from moto.sqs.exceptions import ReceiptHandleIsInvalid

def scenario(region):
    """What deletes do, as a list of outcomes: the same before and after the patch."""
    backend = m.sqs_backends["123456789012"][region]  # the registry: dead-letter queues are looked up there
    queue = backend.create_queue("q")
    backend.create_queue("other")
    dlq = backend.create_queue("dlq")
    backend.create_queue("src", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq.queue_arn, "maxReceiveCount": 1}))
    for body in ("a", "b", "c", "d"):
        backend.send_message("q", body)
    backend.send_message("src", "poison")
    first = backend.receive_message("q", 10, 0, 0)  # visibility 0: received again at once, with new handles
    second = backend.receive_message("q", 10, 0, 30)
    [moved] = backend.receive_message("src", 1, 0, 0)
    assert backend.receive_message("src", 1, 0, 0) == []  # received once already: now in the dead-letter queue

    def delete(queue_name, handle):
        try:
            backend.delete_message(queue_name, handle)
            return "deleted"
        except ReceiptHandleIsInvalid:
            return "invalid"

    outcomes = [
        delete("q", first[0].receipt_handle),  # an earlier handle of the message
        delete("q", second[1].receipt_handle),
        delete("q", second[1].receipt_handle),  # again
        delete("other", second[2].receipt_handle),  # another queue's
        delete("q", "x" * 185),
        delete("src", moved.receipt_handle),  # moved on
        delete("dlq", moved.receipt_handle),  # deleted where it is now
        backend.delete_message_batch("q", [{"Id": "1", "ReceiptHandle": second[2].receipt_handle}, {"Id": "2", "ReceiptHandle": "nope"}]),
    ]
    state = ([x.body for x in queue._messages], sorted(x.body for x in queue.pending_messages), len(dlq._messages), len(queue.deleted_messages))
    return outcomes[:7] + [(outcomes[7][0], [e["Id"] for e in outcomes[7][1]])], state

before = scenario("us-east-1")
assert apply_patch("sqs_delete_by_handle") is None
after = scenario("eu-west-1")
assert before == after, (before, after)
assert after[0] == ["deleted", "deleted", "deleted", "invalid", "invalid", "invalid", "deleted", (["1"], ["2"])], after
assert after[1][:3] == (["d"], ["d"], 0), after
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('counts visible, hidden and delayed messages as moto does, reading the clock once per scan', async () => {
    const result = await check(`
from reflex_moto import apply_patch
import moto.sqs.models as m
names = ("messages", "approximate_number_of_messages_delayed", "approximate_number_of_messages_not_visible", "approximate_number_of_messages")
original = {name: getattr(m.Queue, name).fget for name in names}
assert apply_patch("sqs_queue_scans") is None
backend = m.sqs_backends["123456789012"]["us-east-1"]
queue = backend.create_queue("q")
for body in ("a", "b", "c", "d"):
    backend.send_message("q", body)
backend.send_message("q", "later", delay_seconds=60)
assert [x.body for x in backend.receive_message("q", 1, 0, 60)] == ["a"]  # in flight for a minute
expected = {"messages": ["b", "c", "d"], "approximate_number_of_messages_delayed": 1, "approximate_number_of_messages_not_visible": 1, "approximate_number_of_messages": 3}
for name in names:
    patched, unpatched = getattr(queue, name), original[name](queue)
    if name == "messages":
        patched, unpatched = [x.body for x in patched], [x.body for x in unpatched]
    assert patched == unpatched == expected[name], (name, patched, unpatched)
attributes = backend.get_queue_attributes("q", ["All"])
assert [attributes[k] for k in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")] == [3, 1, 1]
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it("lists a response class's methods once, handing each caller its own list", async () => {
    const result = await check(`
from reflex_moto import apply_patch
import moto.core.responses as r, moto.core.utils as u
from moto.sqs.responses import SQSResponse
original = u.method_names_from_class(SQSResponse)
assert apply_patch("core_method_names_cache") is None
assert r.method_names_from_class is u.method_names_from_class
names = r.method_names_from_class(SQSResponse)
assert names == original and "receive_message" in names and "delete_message_batch" in names
names.clear()  # each caller gets its own list
assert r.method_names_from_class(SQSResponse) == original
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('hands each message to one of many concurrent receives, lets sends in while a receive waits, still receives on dead-letter cycles', async () => {
    const result = await check(`
import json, sys, threading, time
from reflex_moto import apply_patches
import moto.sqs.models as m
assert apply_patches() == {}  # all of them: moto as the launcher runs it (and fast enough to test)
# Switch threads often, so races show: without patch_receive_lock, moto hands some messages to two receives.
sys.setswitchinterval(1e-5)
backend = m.sqs_backends["123456789012"]["us-east-1"]
backend.create_queue("q")
for i in range(300):
    backend.send_message("q", str(i))
received = []
def drain():
    while batch := backend.receive_message("q", 10, 0, 60):
        received.extend(x.body for x in batch)
threads = [threading.Thread(target=drain) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
assert sorted(received, key=int) == [str(i) for i in range(300)], f"{len(received)} receives of 300 messages"
# A receive waiting for messages lets a send in (it waits without the lock).
backend.create_queue("w")
waited = []
waiter = threading.Thread(target=lambda: waited.extend(backend.receive_message("w", 1, 10, 30)))
waiter.start()
time.sleep(0.3)
backend.send_message("w", "hello")
waiter.join()
assert [x.body for x in waited] == ["hello"]
# Queues that are each other's dead-letter queue: receives on them still work (without the lock).
a = backend.create_queue("a")
b = backend.create_queue("b", RedrivePolicy=json.dumps({"deadLetterTargetArn": a.queue_arn, "maxReceiveCount": 5}))
backend.set_queue_attributes("a", {"RedrivePolicy": json.dumps({"deadLetterTargetArn": b.queue_arn, "maxReceiveCount": 1})})
backend.send_message("a", "poison")
assert [x.body for x in backend.receive_message("a", 1, 0, 0)] == ["poison"]
assert backend.receive_message("a", 1, 0, 0) == []
assert [x.body for x in backend.receive_message("b", 1, 0, 0)] == ["poison"]
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('starts moto without the patches whose moto functions are missing, naming them in a line each', () => {
    const result = run(`
import runpy, sys
import moto.core.utils as u
del u.unix_time_millis
sys.argv = [sys.argv[1], "--help"]
runpy.run_path(sys.argv[0], run_name="__main__")
`);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/usage:.*--port/s);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^moto_server_fast: skipped patch core_clock \(written for moto ([\d.]+), found \1\): moto\.core\.utils\.unix_time_millis is missing$/),
      // Neither moto.sqs nor moto.events can load without it, so neither can their patches; the others apply
      // (sts_assume_role_trust among them: moto.sts does not need it).
      ...[
        'sqs_retention_check',
        'sqs_receipt_handles',
        'sqs_message_copy',
        'sqs_pending_groups_snapshot',
        'sqs_delete_by_handle',
        'sqs_receive_lock',
        'sqs_queue_scans',
        'sqs_deferred_dlq',
      ].map((patch) =>
        expect.stringMatching(
          new RegExp(`^moto_server_fast: skipped patch ${patch} \\(written for moto ([\\d.]+), found \\1\\): cannot import moto\\.sqs \\(ImportError: .*unix_time_millis`),
        ),
      ),
      ...['events_jsonpath_cache', 'events_schedule_rules', 'events_account_field', 'events_cross_account_bus'].map((patch) =>
        expect.stringMatching(
          new RegExp(`^moto_server_fast: skipped patch ${patch} \\(written for moto ([\\d.]+), found \\1\\): cannot import moto\\.events \\(ImportError: .*unix_time_millis`),
        ),
      ),
    ]);
  });

  it('on another moto version, skips the patch whose function is gone, naming it, and says which versions the others met', () => {
    const result = run(`
import runpy, sys
import moto, moto.sqs.models as m
moto.__version__ = "99.0.0"  # as another moto would report it
del m.Queue._setup_dlq  # and one thing it no longer has
sys.argv = [sys.argv[1], "--help"]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as done:
    assert done.code == 0, done.code
print("patched:", m.Queue.delete_message.__module__, "dlq:", hasattr(m.Queue, "_setup_dlq"), type(m.Queue.__dict__.get("dead_letter_queue")).__name__)
# The EC2 patches wait for EC2's first import (a request for it): then they check and apply, and say so.
import moto.ec2
from moto.ec2.responses.network_acls import NetworkACLs
print("ec2:", NetworkACLs.create_network_acl_entry.__module__)
`);
    expect(result.status).toBe(0);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^moto_server_fast: skipped patch sqs_deferred_dlq \(written for moto \d+\.\d+\.\d+, found 99\.0\.0\): moto\.sqs\.models\.Queue\._setup_dlq is missing$/,
      ),
      // 16 at start: of the 24, sqs_deferred_dlq is skipped, http_keep_alive and http_no_delay were written for
      // werkzeug (found at that version), and the five EC2 patches wait for EC2 (DEFER_UNTIL).
      expect.stringMatching(/^moto_server_fast: 16 patches written for moto \d+\.\d+\.\d+ passed the checks on moto 99\.0\.0 and apply$/),
      expect.stringMatching(/^moto_server_fast: 5 patches written for moto \d+\.\d+\.\d+ passed the checks on moto 99\.0\.0 and apply$/),
    ]);
    // The others applied; the skipped one left moto as it was (no dead_letter_queue property of its own).
    expect(result.stdout.trimEnd().split('\n').slice(-2)).toEqual([
      'patched: reflex_moto.patches.sqs_delete_by_handle dlq: False NoneType',
      'ec2: reflex_moto.patches.ec2_nacl_entries',
    ]);
  });

  it('has a module per patch, each naming what it requires and the moto it was written for: the installed one', async () => {
    const result = await check(`
import os, reflex_moto
from reflex_moto import PATCHES, load, why_missing
found = sorted(f[:-3] for f in os.listdir(os.path.dirname(load(PATCHES[0]).__file__)) if f.endswith(".py") and f != "__init__.py")
assert sorted(PATCHES) == found, (PATCHES, found)
for name in PATCHES:
    patch = load(name)
    package, version = reflex_moto.written_for(patch)
    assert f"Written for {package} {version}" in patch.__doc__, name  # the docstring says what the constant says
    assert patch.REQUIRES and all(why_missing(d) is None for d in patch.REQUIRES), name
    assert reflex_moto.installed_version(package) == version, (name, reflex_moto.installed_version(package))
print("ok")
`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('exits when its standard input closes, with REFLEX_MOTO_EXIT_WITH_PARENT=1', async () => {
    const port = await freePort();
    const child = spawn(python(), [MOTO_FAST_LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { ...process.env, REFLEX_MOTO_EXIT_WITH_PARENT: '1' },
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitForEndpoint(`http://127.0.0.1:${port}`, 20_000, child);
      child.stdin!.end();
      const code = await Promise.race([exited, sleep(5000).then(() => 'still running' as const)]);
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});

describe('scriptInterpreter', () => {
  it('reads the interpreter of a Python script, not of a shim', () => {
    expect(scriptInterpreter('#!/opt/venv/bin/python3.11\n# -*- coding: utf-8 -*-\n')).toBe('/opt/venv/bin/python3.11');
    expect(scriptInterpreter('#!/usr/bin/env python3\nimport re\n')).toBe('python3');
    expect(scriptInterpreter('#!/bin/sh\n\'\'\'exec\' "/a very/long/bin/python" "$0" "$@"\n\' \'\'\'\n')).toBe('/a very/long/bin/python');
    expect(scriptInterpreter("#!/bin/sh\n'''exec' /long/bin/python3 \"$0\" \"$@\"\n' '''\n")).toBe('/long/bin/python3');
    expect(scriptInterpreter('#!/usr/bin/env bash\nset -e\n')).toBeUndefined();
    expect(scriptInterpreter('\x7fELF\x02\x01')).toBeUndefined();
  });
});

describe('SQS semantics on the patched moto server', () => {
  let aws: StartedMoto;
  let sqs: SQSClient;
  useMoto(async (started) => {
    aws = started;
    sqs = new SQSClient(localClientConfig(aws.endpoint));
    return sqs;
  });

  const queue = async (name: string, attributes?: Record<string, string>) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
  const receive = async (
    QueueUrl: string,
    options: { VisibilityTimeout?: number; WaitTimeSeconds?: number; MaxNumberOfMessages?: number; MessageAttributeNames?: string[] } = {},
  ) =>
    (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          ...options,
        }),
      )
    ).Messages ?? [];

  it('runs on the patched launcher', () => {
    expect(aws.launcher).toBe('patched');
  });

  it('keeps a connection open for the next request (HTTP/1.1 keep-alive), bodies and all', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const call = (target: string, body: string) =>
      new Promise<{ status: number; connection: string | undefined; reused: boolean; body: string }>((resolve, reject) => {
        const req = http.request(
          aws.endpoint,
          {
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/x-amz-json-1.0',
              'x-amz-target': `AmazonSQS.${target}`,
              // moto finds the service in the credential scope; it checks no signature.
              authorization: 'AWS4-HMAC-SHA256 Credential=test/20261129/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
            },
          },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, reused: req.reusedSocket, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      const created = await call('CreateQueue', JSON.stringify({ QueueName: 'keep-alive', Attributes: { DelaySeconds: '0' } }));
      const url = JSON.parse(created.body).QueueUrl as string;
      const sent = await call('SendMessage', JSON.stringify({ QueueUrl: url, MessageBody: 'x'.repeat(5000) }));
      const received = await call('ReceiveMessage', JSON.stringify({ QueueUrl: url }));

      expect([created, sent, received].map(({ status, connection, reused }) => ({ status, connection, reused }))).toEqual([
        { status: 200, connection: undefined, reused: false }, // HTTP/1.1: no "Connection: close"
        { status: 200, connection: undefined, reused: true },
        { status: 200, connection: undefined, reused: true },
      ]);
      expect(JSON.parse(received.body).Messages[0].Body).toBe('x'.repeat(5000));
    } finally {
      agent.destroy();
    }
  });

  it('holds a delayed message back until its delay has passed', async () => {
    const url = await queue('delayed');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 1 }));
    expect(await receive(url)).toEqual([]);
    await sleep(1500);
    expect((await receive(url, { WaitTimeSeconds: 2 })).map((m) => m.Body)).toEqual(['later']);
  }, 20_000);

  it('hides a received message for its visibility timeout, then delivers it again', async () => {
    const url = await queue('visibility');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const first = await receive(url, { VisibilityTimeout: 1 });
    expect(first.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([['again', '1']]);
    expect(await receive(url)).toEqual([]);
    await sleep(1500);
    const second = await receive(url, { VisibilityTimeout: 1, WaitTimeSeconds: 2 });
    expect(second.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([['again', '2']]);
  }, 20_000);

  it('moves a message past maxReceiveCount to the dead-letter queue', async () => {
    const dlqUrl = await queue('redrive-dlq');
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!
      .QueueArn!;
    const url = await queue('redrive', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    expect((await receive(url, { VisibilityTimeout: 1 })).map((m) => m.Body)).toEqual(['poison']);
    await sleep(1500);
    // Visible again, received once already: the next receive moves it to the DLQ instead of delivering it.
    expect(await receive(url)).toEqual([]);
    expect((await receive(dlqUrl)).map((m) => m.Body)).toEqual(['poison']);
    expect(await receive(url)).toEqual([]);
  }, 20_000);

  it('takes a queue whose dead-letter queue is created after it, and dead-letters to it once it exists', async () => {
    const dlqArn = 'arn:aws:sqs:us-east-1:123456789012:later-dlq';
    const redrive = { deadLetterTargetArn: dlqArn, maxReceiveCount: 1 };
    const url = await queue('before-its-dlq', { RedrivePolicy: JSON.stringify(redrive) });
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }));
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual(redrive);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    expect((await receive(url, { VisibilityTimeout: 1 })).map((m) => m.Body)).toEqual(['poison']);
    const dlqUrl = await queue('later-dlq');
    await sleep(1500);
    expect(await receive(url)).toEqual([]);
    expect((await receive(dlqUrl)).map((m) => m.Body)).toEqual(['poison']);
  }, 20_000);

  it('still refuses a malformed redrive policy', async () => {
    await expect(queue('bad-redrive', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:x' }) })).rejects.toThrow(
      /maxReceiveCount/,
    );
  });

  const counts = async (QueueUrl: string) => {
    const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: [...names] }));
    return { visible: Attributes[names[0]], inFlight: Attributes[names[1]], delayed: Attributes[names[2]] };
  };
  const deleteBatch = async (QueueUrl: string, handles: Record<string, string>) => {
    const out = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl, Entries: Object.entries(handles).map(([Id, ReceiptHandle]) => ({ Id, ReceiptHandle })) }),
    );
    return {
      deleted: (out.Successful ?? []).map((e) => e.Id).sort(),
      failed: (out.Failed ?? []).map((e) => [e.Id, e.Code]).sort(),
    };
  };

  it('hands out the message attributes each receive asks for, leaving the stored message whole', async () => {
    const url = await queue('attributes');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'tagged',
        MessageAttributes: {
          'a.x': { DataType: 'String', StringValue: 'x' },
          'a.y': { DataType: 'Number', StringValue: '1' },
          b: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) },
        },
      }),
    );
    // Visibility 0: each receive gets the message again.
    const names = async (MessageAttributeNames?: string[]) => {
      const [message] = await receive(url, { VisibilityTimeout: 0, ...(MessageAttributeNames ? { MessageAttributeNames } : {}) });
      return Object.keys(message?.MessageAttributes ?? {}).sort();
    };
    expect(await names(['a.*'])).toEqual(['a.x', 'a.y']);
    expect(await names(['b'])).toEqual(['b']);
    expect(await names()).toEqual([]);
    expect(await names(['All'])).toEqual(['a.x', 'a.y', 'b']);
    const [all] = await receive(url, { VisibilityTimeout: 0, MessageAttributeNames: ['All'] });
    expect(all?.MessageAttributes?.b?.BinaryValue).toEqual(new Uint8Array([1, 2]));
    expect(all?.Attributes?.ApproximateReceiveCount).toBe('5');
  });

  it("deletes by a current or earlier receipt handle, once; rejects unknown and other queues' handles", async () => {
    const url = await queue('deletes');
    const otherUrl = await queue('deletes-other');
    await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: ['a', 'b', 'c'].map((body) => ({ Id: body, MessageBody: body })) }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: otherUrl, MessageBody: 'other' }));
    const first = await receive(url, { VisibilityTimeout: 0 });
    const second = await receive(url, { VisibilityTimeout: 60 });
    const [other] = await receive(otherUrl, { VisibilityTimeout: 60 });
    const handle = (messages: typeof first, body: string) => messages.find((m) => m.Body === body)!.ReceiptHandle!;
    expect(second.map((m) => m.Body).sort()).toEqual(['a', 'b', 'c']);

    expect(
      await deleteBatch(url, { earlier: handle(first, 'a'), current: handle(second, 'b'), unknown: 'x'.repeat(185), foreign: other!.ReceiptHandle! }),
    ).toEqual({ deleted: ['current', 'earlier'], failed: [['foreign', 'ReceiptHandleIsInvalid'], ['unknown', 'ReceiptHandleIsInvalid']] });
    expect(await deleteBatch(url, { again: handle(second, 'a') })).toEqual({ deleted: ['again'], failed: [] });
    expect(await counts(url)).toEqual({ visible: '0', inFlight: '1', delayed: '0' });
    expect(await counts(otherUrl)).toEqual({ visible: '0', inFlight: '1', delayed: '0' });
  });

  it('counts visible, in-flight and delayed messages', async () => {
    const url = await queue('counts');
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'a' },
          { Id: 'b', MessageBody: 'b' },
          { Id: 'c', MessageBody: 'c' },
          { Id: 'later', MessageBody: 'later', DelaySeconds: 60 },
        ],
      }),
    );
    expect((await receive(url, { MaxNumberOfMessages: 1, VisibilityTimeout: 60 })).map((m) => m.Body)).toEqual(['a']);
    expect(await counts(url)).toEqual({ visible: '2', inFlight: '1', delayed: '1' });
  });

  it('holds a FIFO message group while one of its messages is in flight, and drops a deduplicated send', async () => {
    const url = await queue('groups.fifo', { FifoQueue: 'true' });
    const send = (body: string, group: string, dedup: string) =>
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedup }));
    await send('a1', 'a', 'a1');
    await send('a2', 'a', 'a2');
    await send('b1', 'b', 'b1');
    await send('a1 again', 'a', 'a1'); // the same deduplication id within 5 minutes: dropped

    const [a1] = await receive(url, { MaxNumberOfMessages: 1, VisibilityTimeout: 60 });
    expect(a1?.Body).toBe('a1');
    // Group a is held while a1 is in flight: only b's message.
    expect((await receive(url, { VisibilityTimeout: 60 })).map((m) => m.Body)).toEqual(['b1']);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: '1', ReceiptHandle: a1!.ReceiptHandle! }] }));
    expect((await receive(url, { VisibilityTimeout: 60 })).map((m) => m.Body)).toEqual(['a2']);
    expect(await counts(url)).toEqual({ visible: '0', inFlight: '2', delayed: '0' });
  });

  it('hands each message to one of many concurrent receives; deleted messages stay deleted', async () => {
    const url = await queue('concurrent');
    const bodies = Array.from({ length: 200 }, (_, i) => String(i));
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: bodies.slice(i, i + 10).map((b) => ({ Id: b, MessageBody: b })) }));
    }
    const received: string[] = [];
    const failed: unknown[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (;;) {
          const messages = await receive(url, { VisibilityTimeout: 60 });
          if (messages.length === 0) return;
          received.push(...messages.map((m) => m.Body!));
          const out = await deleteBatch(url, Object.fromEntries(messages.map((m, i) => [String(i), m.ReceiptHandle!])));
          failed.push(...out.failed);
        }
      }),
    );
    expect(received.sort((x, y) => Number(x) - Number(y))).toEqual(bodies);
    expect(failed).toEqual([]);
    expect(await counts(url)).toEqual({ visible: '0', inFlight: '0', delayed: '0' });
  });
});

describe('a hub and a member account on the patched moto server', () => {
  const HUB = '123456789012';
  const MEMBER = '210987654321';
  let aws: StartedMoto;
  const clients: { destroy(): void }[] = [];
  useMoto((started) => {
    aws = started;
    return { destroy: () => clients.forEach((c) => c.destroy()) };
  });
  const made = <C extends { destroy(): void }>(client: C) => (clients.push(client), client);
  /** A Query API call (IAM, STS) as an SDK sends it: moto finds the service in the credential scope, checks no signature. */
  const query = async (service: 'iam' | 'sts', params: Record<string, string>, headers: Record<string, string> = {}) => {
    const response = await fetch(aws.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
        ...headers,
      },
      body: new URLSearchParams({ Version: service === 'iam' ? '2010-05-08' : '2011-06-15', ...params }).toString(),
    });
    return { status: response.status, body: await response.text() };
  };
  const tag = (xml: string, name: string) => xml.match(new RegExp(`<${name}>([^<]*)</${name}>`))?.[1];

  it("lets the hub's key assume a member role that trusts it; the member's events reach the hub's bus as they are", async () => {
    // The member's role, trusting the hub with an external id (x-moto-account-id: moto acts in that account).
    const roleArn = `arn:aws:iam::${MEMBER}:role/reflex-deploy`;
    const trust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'reflex' } } }],
    };
    const created = await query('iam', { Action: 'CreateRole', RoleName: 'reflex-deploy', AssumeRolePolicyDocument: JSON.stringify(trust) }, { 'x-moto-account-id': MEMBER });
    expect(tag(created.body, 'Arn')).toBe(roleArn);
    const assume = (more: Record<string, string> = {}) => query('sts', { Action: 'AssumeRole', RoleArn: roleArn, RoleSessionName: 'hub', ...more });
    const refused = await assume();
    expect([refused.status, tag(refused.body, 'Code'), tag(refused.body, 'Message')]).toEqual([
      403,
      'AccessDenied',
      `User: arn:aws:sts::${HUB}:user/moto is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    ]);
    const granted = await assume({ ExternalId: 'reflex' });
    expect([granted.status, tag(granted.body, 'Arn')]).toEqual([200, `arn:aws:sts::${MEMBER}:assumed-role/reflex-deploy/hub`]);
    const credentials = {
      accessKeyId: tag(granted.body, 'AccessKeyId')!,
      secretAccessKey: tag(granted.body, 'SecretAccessKey')!,
      sessionToken: tag(granted.body, 'SessionToken')!,
    };

    // The hub: its bus, open to the member's CloudWatch events, and a rule to a queue.
    const hub = made(new EventBridgeClient(localClientConfig(aws.endpoint)));
    const sqs = made(new SQSClient(localClientConfig(aws.endpoint)));
    const busArn = (await hub.send(new CreateEventBusCommand({ Name: 'reflex-local-bus' }))).EventBusArn!;
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'MemberAccountsForward',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${MEMBER}:root` },
          Action: 'events:PutEvents',
          Resource: busArn,
          Condition: { StringEquals: { 'events:source': ['aws.cloudwatch'] } },
        },
      ],
    };
    await hub.send(new PutPermissionCommand({ EventBusName: 'reflex-local-bus', Policy: JSON.stringify(policy) }));
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'alarms' }))).QueueUrl!;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await hub.send(new PutRuleCommand({ Name: 'alarms', EventBusName: 'reflex-local-bus', EventPattern: JSON.stringify({ source: ['aws.cloudwatch', 'reflex'] }) }));
    await hub.send(new PutTargetsCommand({ Rule: 'alarms', EventBusName: 'reflex-local-bus', Targets: [{ Id: 'queue', Arn: queueArn }] }));

    // The member, with the assumed role's credentials: its default bus forwards to the hub's.
    const member = made(new EventBridgeClient({ ...localClientConfig(aws.endpoint), credentials }));
    await member.send(new PutRuleCommand({ Name: 'to-hub', EventPattern: JSON.stringify({ source: ['aws.cloudwatch', 'reflex'] }) }));
    await member.send(new PutTargetsCommand({ Rule: 'to-hub', Targets: [{ Id: 'hub', Arn: busArn }] }));
    const put = async (Source: string) => {
      const detail = { alarmName: 'a', state: { value: 'ALARM' } };
      const resources = [`arn:aws:cloudwatch:us-east-1:${MEMBER}:alarm:a`];
      const time = new Date('2026-01-02T03:04:05Z');
      const out = await member.send(
        new PutEventsCommand({ Entries: [{ Source, DetailType: 'CloudWatch Alarm State Change', Detail: JSON.stringify(detail), Resources: resources, Time: time }] }),
      );
      return out.Entries![0]!.EventId!;
    };
    const id = await put('aws.cloudwatch');
    await put('reflex'); // a source the hub's policy does not list: dropped

    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(Messages.map((m) => JSON.parse(m.Body!))).toEqual([
      {
        version: '0',
        id,
        'detail-type': 'CloudWatch Alarm State Change',
        source: 'aws.cloudwatch',
        account: MEMBER,
        time: '2026-01-02T03:04:05Z',
        region: 'us-east-1',
        resources: [`arn:aws:cloudwatch:us-east-1:${MEMBER}:alarm:a`],
        detail: { alarmName: 'a', state: { value: 'ALARM' } },
      },
    ]);
    // The member's rule is the member's: the hub's default bus has none.
    expect((await hub.send(new ListRulesCommand({}))).Rules).toEqual([]);
  }, 30_000);
});

describe('waitForEndpoint', () => {
  it('fails naming the endpoint when nothing answers', async () => {
    const port = await freePort();
    await expect(waitForEndpoint(`http://127.0.0.1:${port}`, 300)).rejects.toThrow(`http://127.0.0.1:${port}`);
  });
});
