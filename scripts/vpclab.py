"""A local lab for vpcrouter: moto as EC2, routers as network namespaces, the release daemon.

Shared by scripts/demo.py (make demo, make sandbox) and scripts/bench.py (make bench). Everything a
Lab makes (processes, namespaces with their veth pairs and host routes, its temporary directory)
is undone by Lab.close(), also after Ctrl-C or SIGTERM. Run as root.

Addresses: the lab's VPC is 10.251.0.0/16, a range the test suites do not use, so a demo can run
beside `make test`. Two labs at once refuse to start (the host routes would clash).
"""
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "Tests", "Tools")
sys.path.insert(0, TOOLS)
import motofixture  # noqa: E402  (the tests' VPC builder, shared rather than written twice)

RELEASE = os.path.join(ROOT, ".build", "release")
NETWORK = "10.251"
REGION = motofixture.REGION
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
NAMESPACE_PREFIX = "vpclab"
MEMORY_FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile")


def process_status(pid, names=MEMORY_FIELDS):
    """Fields of /proc/PID/status as numbers: by default VmRSS, VmHWM, RssAnon (private) and RssFile
    (mapped files: the Swift runtime, libraries), in KiB."""
    fields = {}
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in names:
                fields[name] = int(value.split()[0])
    return fields


class LabError(Exception):
    """A step of the lab could not be done; the message says which and why."""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sh(command):
    """Runs a shell command; raises LabError with its stderr if it fails."""
    result = subprocess.run(command, shell=True, capture_output=True, text=True)
    if result.returncode != 0:
        raise LabError("%s: %s" % (command, result.stderr.strip()))
    return result.stdout


def wait_until(predicate, timeout, interval=0.02):
    """Polls predicate until it returns something truthy (returned) or timeout passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def _die_with_parent():
    # Helpers must not outlive the lab even if the driver is killed with SIGKILL.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def http_get(url, timeout=5):
    """(status, body text) of a GET; status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, OSError):
        return 0, ""


def http_post(url, body, timeout=5):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"{}")


def parse_metrics(text):
    """Prometheus text → {'name{labels}': value}."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            try:
                values[key] = float(value)
            except ValueError:
                pass
    return values


class Helper:
    """A child process in its own session with its output in a log file."""

    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True, preexec_fn=_die_with_parent)

    @property
    def pid(self):
        return self.process.pid

    def running(self):
        return self.process.poll() is None

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after timeout; returns the exit status."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode

    def output(self):
        with open(self.log_path, errors="replace") as log:
            return log.read()


class Daemon(Helper):
    """The release vpcrouter binary with its HTTP server on a free loopback port."""

    def __init__(self, lab, arguments, ec2_endpoint, name="vpcrouter"):
        self.port = free_port()
        self.state_dir = os.path.join(lab.directory, "state-%s-%d" % (name, self.port))
        self.environment = lab.daemon_environment(ec2_endpoint)
        self.arguments = ["-r", REGION, "-v", lab.fixture["vpcId"], "-p", str(self.port),
                          "--state-dir", self.state_dir, "--plugin-dir", RELEASE] + arguments
        super().__init__(name, [os.path.join(RELEASE, "vpcrouter")] + self.arguments,
                         os.path.join(lab.directory, "%s-%d.log" % (name, self.port)), env=self.environment)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def get(self, path):
        return http_get(self.url(path))

    def get_json(self, path):
        status, body = self.get(path)
        if status != 200:
            raise LabError("GET %s answered %d: %s" % (path, status, body[:200]))
        return json.loads(body)

    def metrics(self):
        status, body = self.get("/metrics")
        return parse_metrics(body) if status == 200 else {}

    def completed_reconciles(self):
        """How many reconcile passes have finished (the duration summary's count)."""
        return int(self.metrics().get("vpcrouter_reconcile_duration_seconds_count", 0))

    def wait_ready(self, timeout=30):
        if not wait_until(lambda: self.get("/readyz")[0] == 200 or not self.running(), timeout) or not self.running():
            raise LabError("vpcrouter did not become ready:\n" + self.output()[-3000:])

    def memory_kb(self):
        return process_status(self.pid)

    def largest_mapped_files(self, count=4):
        """[(resident KiB, file)] of the mapped files holding the most resident memory."""
        resident, current = {}, None
        with open("/proc/%d/smaps" % self.pid) as smaps:
            for line in smaps:
                parts = line.split()
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    current = parts[5] if len(parts) > 5 and parts[5].startswith("/") else None
                elif parts[0] == "Rss:" and current:
                    resident[current] = resident.get(current, 0) + int(parts[1])
        return sorted(((kib, os.path.basename(path)) for path, kib in resident.items()), reverse=True)[:count]

    def command_line(self):
        """The daemon's command line with its environment, to paste into a shell."""
        env = " ".join("%s=%s" % (key, self.environment[key]) for key in
                       ("AWS_ENDPOINT_URL_EC2", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))
        return env + " \\\n    " + " ".join(self.argv)


class Routers:
    """Router hosts as network namespaces reached over a veth pair and a host route.

    A router dies by taking its end of the link down inside its namespace: the host route stays
    (marked linkdown), so probes are dropped on the machine instead of leaving it.
    """

    def __init__(self, lab):
        self.lab = lab
        self.hosts = {}  # address or block → (namespace, host end, router end)

    def _add(self, key, inside_commands, host_route, ipv6=None):
        index = len(self.hosts)
        namespace = "%s%d-%d" % (NAMESPACE_PREFIX, os.getpid(), index)
        host_end, router_end = "vl%dh%d" % (os.getpid(), index), "vl%dr%d" % (os.getpid(), index)
        existing = subprocess.run(["ip", "route", "show", host_route], capture_output=True, text=True).stdout.strip()
        if existing:
            raise LabError("a host route for %s exists already (%s): is another demo or benchmark running?" % (host_route, existing))
        sh("ip netns add %s" % namespace)
        # Deleting the namespace deletes the veth pair and with it the host route.
        self.lab.on_close(lambda: subprocess.run(["ip", "netns", "del", namespace], capture_output=True))
        sh("ip link add %s type veth peer name %s" % (host_end, router_end))
        sh("ip link set %s netns %s" % (router_end, namespace))
        sh("ip -n %s link set lo up" % namespace)
        for command in inside_commands(router_end):
            sh("ip -n %s %s" % (namespace, command))
        if ipv6:
            # nodad: usable at once; keep_addr_on_down: Linux drops IPv6 addresses on link down
            # otherwise, and a killed router must come back with its address. The host end gets a
            # ULA address of its own (fd00:ffff::N) for the router's answers to come back to.
            sh("ip netns exec %s sysctl -qw net.ipv6.conf.%s.keep_addr_on_down=1 net.ipv6.conf.%s.accept_dad=0" % (namespace, router_end, router_end))
            sh("sysctl -qw net.ipv6.conf.%s.keep_addr_on_down=1 net.ipv6.conf.%s.accept_dad=0" % (host_end, host_end))
            sh("ip -n %s -6 addr add %s/128 dev %s nodad" % (namespace, ipv6, router_end))
            sh("ip -6 addr add fd00:ffff::%x/128 dev %s nodad" % (index + 1, host_end))
        sh("ip -n %s link set %s up" % (namespace, router_end))
        sh("ip -n %s route add default dev %s" % (namespace, router_end))
        if ipv6:
            sh("ip -n %s -6 route add default dev %s" % (namespace, router_end))
        sh("ip link set %s up" % host_end)
        sh("ip route add %s dev %s" % (host_route, host_end))
        if ipv6:
            sh("ip -6 route replace %s/128 dev %s src fd00:ffff::%x" % (ipv6, host_end, index + 1))
        self.hosts[key] = (namespace, host_end, router_end)
        if ipv6:
            self.hosts[ipv6] = self.hosts[key]

    def add(self, address, ipv6=None):
        """One router owning `address` and, if given, the IPv6 address `ipv6` (either names it)."""
        self._add(address, lambda end: ["addr add %s/32 dev %s" % (address, end)], "%s/32" % address, ipv6)

    def add_block(self, cidr):
        """One namespace answering for every address in `cidr` (a local route), for many routers."""
        self._add(cidr, lambda end: ["route add local %s dev lo" % cidr], cidr)

    def kill(self, key):
        namespace, _, router_end = self.hosts[key]
        sh("ip -n %s link set %s down" % (namespace, router_end))

    def revive(self, key):
        namespace, _, router_end = self.hosts[key]
        sh("ip -n %s link set %s up" % (namespace, router_end))
        sh("ip -n %s route replace default dev %s" % (namespace, router_end))
        subprocess.run(["ip", "-n", namespace, "-6", "route", "replace", "default", "dev", router_end], capture_output=True)

    def lose(self, key, percent):
        """Drops `percent` % of the echo requests reaching the router, at random (nft's numgen;
        there is no netem here). The rules go with the namespace."""
        namespace = self.hosts[key][0]
        ruleset = ("table inet vpcrouter_loss {\n chain input {\n  type filter hook input priority 0; policy accept;\n"
                   "  icmp type echo-request numgen random mod 100 < %d drop\n }\n}\n" % percent)
        result = subprocess.run(["ip", "netns", "exec", namespace, "nft", "-f", "-"], input=ruleset, capture_output=True, text=True)
        if result.returncode != 0:
            raise LabError("nft in %s: %s" % (namespace, result.stderr.strip()))

    def kill_command(self, key):
        namespace, _, router_end = self.hosts[key]
        return "ip -n %s link set %s down" % (namespace, router_end)

    def revive_command(self, key):
        namespace, _, router_end = self.hosts[key]
        return "ip -n {0} link set {1} up && ip -n {0} route replace default dev {1}".format(namespace, router_end)


class Lab:
    """Owns everything made for one demo or benchmark run; close() undoes it in reverse order."""

    def __init__(self, keep_directory=False):
        if os.geteuid() != 0:
            raise LabError("run as root: the lab creates network namespaces and host routes")
        if not os.path.exists(os.path.join(RELEASE, "vpcrouter")):
            raise LabError("no release build in %s: run `swift build -c release` first" % RELEASE)
        self._cleanups = []
        self._clients = {}
        self.keep_directory = keep_directory
        self.directory = tempfile.mkdtemp(prefix="vpcrouter-lab-")
        self.routers = Routers(self)
        self.fixture = None
        self.moto_endpoint = None
        remove_stale_namespaces()

    def __enter__(self):
        # SIGTERM ends the run like Ctrl-C does, so `finally` blocks clean up; SIGINT is restored
        # in case it was ignored (a background job of a non-interactive shell starts that way).
        signal.signal(signal.SIGTERM, _raise_interrupt)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def on_close(self, action):
        self._cleanups.append(action)

    def close(self):
        # A second Ctrl-C during cleanup must not leave half of it undone.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            while self._cleanups:
                try:
                    self._cleanups.pop()()
                except Exception as error:  # keep undoing the rest
                    print("cleanup: %s" % error, file=sys.stderr)
            if not self.keep_directory:
                shutil.rmtree(self.directory, ignore_errors=True)
        finally:
            signal.signal(signal.SIGINT, previous)

    def start(self, name, argv, env=None, stop_timeout=10):
        helper = Helper(name, argv, os.path.join(self.directory, name + ".log"), env=env)
        self.on_close(lambda: helper.stop(stop_timeout))
        return helper

    def start_moto(self, completing_prefix_list_routes=False):
        """moto_server on a free loopback port; returns its endpoint. With completing_prefix_list_routes,
        through Tests/Tools/motoprefixlists.py (routes to managed prefix lists work as in EC2)."""
        port = free_port()
        command = ([sys.executable, os.path.join(TOOLS, "motoprefixlists.py")] if completing_prefix_list_routes
                   else ["moto_server"]) + ["-H", "127.0.0.1", "-p", str(port)]
        # moto keeps nothing worth a graceful stop, and under load it can take many seconds to end.
        moto = self.start("moto", command, stop_timeout=1)
        endpoint = "http://127.0.0.1:%d" % port
        if not wait_until(lambda: http_get(endpoint + "/moto-api/", timeout=1)[0] == 200 or not moto.running(), 30, 0.05) \
                or not moto.running():
            raise LabError("moto_server did not start:\n" + moto.output()[-2000:])
        self.moto_endpoint = endpoint
        return endpoint

    def start_fault_proxy(self, upstream):
        """Tests/Tools/faultproxy.py in front of `upstream`; returns its endpoint."""
        port_file = os.path.join(self.directory, "faultproxy.port")
        proxy = self.start("faultproxy", [sys.executable, os.path.join(TOOLS, "faultproxy.py"), "--upstream", upstream,
                                          "--port", "0", "--port-file", port_file], stop_timeout=1)
        if not wait_until(lambda: os.path.exists(port_file) and open(port_file).read().strip(), 15, 0.05):
            raise LabError("the fault proxy did not start:\n" + proxy.output()[-2000:])
        return "http://127.0.0.1:%s" % open(port_file).read().strip()

    def ec2(self, endpoint=None):
        """A boto3 EC2 client for moto (or the given endpoint), made once: making one costs ~50 ms."""
        endpoint = endpoint or self.moto_endpoint
        if endpoint not in self._clients:
            self._clients[endpoint] = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint,
                                                   aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                                   aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
        return self._clients[endpoint]

    def build_vpc(self):
        """The tests' standard VPC (motofixture.py) in 10.251.0.0/16."""
        self.fixture = motofixture.build_fixture(self.ec2(), NETWORK)
        self.fixture["addressA"] = address("1.10")
        self.fixture["addressB"] = address("2.20")
        self.fixture["addressC"] = address("1.30")
        self.fixture["addressA6"] = self.fixture["routerAIPv6"]
        self.fixture["addressB6"] = self.fixture["routerBIPv6"]
        return self.fixture

    def daemon_environment(self, ec2_endpoint):
        environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        environment.update(CREDENTIALS)
        environment["AWS_ENDPOINT_URL_EC2"] = ec2_endpoint
        # No instance metadata here: region and VPC are given; never reach the real link-local service.
        environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9"
        return environment

    def start_daemon(self, arguments, ec2_endpoint=None, name="vpcrouter"):
        daemon = Daemon(self, arguments, ec2_endpoint or self.moto_endpoint, name)
        self.on_close(daemon.stop)
        return daemon


def address(rest):
    return "%s.%s" % (NETWORK, rest)


def route_targets(ec2, tables, cidr):
    """{table id: ENI the route to cidr points at, or None}."""
    found = {table: None for table in tables}
    for table in ec2.describe_route_tables(RouteTableIds=list(tables))["RouteTables"]:
        for route in table["Routes"]:
            if cidr in (route.get("DestinationCidrBlock"), route.get("DestinationIpv6CidrBlock")):
                found[table["RouteTableId"]] = route.get("NetworkInterfaceId")
    return found


def percentile(values, fraction):
    """Nearest-rank percentile of a list of numbers."""
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def remove_stale_namespaces():
    """Deletes namespaces left by a lab whose process is gone (killed with SIGKILL, say)."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for name in re.findall(r"^(%s(\d+)-\d+)" % NAMESPACE_PREFIX, listing, re.M):
        namespace, pid = name
        if not os.path.exists("/proc/%s" % pid):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
