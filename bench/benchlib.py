"""benchlib.py -- what the mxward benchmarks share: timed runs and an SMTP
sender.

  benchlib.py timed OUT TIMEOUT CMD...
      run CMD (stdout to OUT, stderr to OUT.err); print wall seconds,
      user and system seconds, peak RSS of the children (KB), exit status
  benchlib.py send PORT SESSIONS TIMEOUT FILE...
      send every FILE over SMTP to 127.0.0.1:PORT from SESSIONS threads, a
      session per message (MAIL FROM sender@example.net unless
      BENCH_SENDER says otherwise); print seconds, bytes, and the counts of
      accepted, rejected, deferred and failed messages

Nothing is sent anywhere but 127.0.0.1.
"""
import os
import resource
import smtplib
import subprocess
import sys
import threading
import time

SENDER = os.environ.get("BENCH_SENDER", "sender@example.net")


def timed(out, timeout, cmd):
    """Run cmd (stdout to out); print wall, user, sys, maxrss KB, status."""
    t0 = time.perf_counter()
    with open(out, "wb") as f, open(out + ".err", "wb") as e:
        try:
            rc = subprocess.run(cmd, stdout=f, stderr=e, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("%.3f %.3f %.3f %d %s" % (wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss, rc))


def send(port, sessions, timeout, files):
    """Send every file over SMTP with `sessions` threads, a session per
    message; print secs, bytes, accepted, rejected, deferred, failed."""
    data = [open(p, "rb").read() for p in files]
    todo = list(range(len(data)))
    lock = threading.Lock()
    res = {"2": 0, "5": 0, "4": 0, "x": 0}

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            code = "x"
            try:
                s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test.example",
                                 timeout=timeout)
                try:
                    s.sendmail(SENDER, ["rcpt@example.org"], data[i])
                    code = "2"
                except smtplib.SMTPResponseException as e:
                    code = str(e.smtp_code)[0]
                except smtplib.SMTPRecipientsRefused as e:
                    code = str(list(e.recipients.values())[0][0])[0]
                finally:
                    try:
                        s.quit()
                    except (OSError, smtplib.SMTPException):
                        pass
            except (OSError, smtplib.SMTPException):
                code = "x"
            with lock:
                res[code if code in res else "x"] += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    print("%.3f %d %d %d %d %d" % (secs, sum(map(len, data)), res["2"], res["5"],
                                   res["4"], res["x"]))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "timed":
        timed(args[0], float(args[1]), args[2:])
    elif cmd == "send":
        send(int(args[0]), int(args[1]), float(args[2]), args[3:])
    else:
        sys.exit("usage: benchlib.py timed|send ...")
