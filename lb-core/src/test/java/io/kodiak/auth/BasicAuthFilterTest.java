package io.kodiak.auth;

import io.kodiak.htpasswd.HtpasswdFile;

import io.kodiak.config.BasicAuthConfig;
import io.kodiak.filter.RequestFilter.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BasicAuthFilter} with a runtime whose workers, bound and clock the test holds: the 503
 * when the workers are full, a client gone before its check, the caches of successes and failures
 * and their expiry, and the user's name as a field value.
 */
@Timeout(60)
class BasicAuthFilterTest {
    private static String bcryptLine;
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private ScheduledExecutorService timer;
    private ExecutorService workers;
    private BasicAuthRuntime rt;
    private final CountDownLatch stall = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        if (bcryptLine == null) {
            bcryptLine = Htpasswd.line("B", "bea", "pw");
        }
        timer = Executors.newSingleThreadScheduledExecutor();
        workers = Executors.newFixedThreadPool(1);
        rt = new BasicAuthRuntime(timer, workers, 2, now::get);
    }

    @AfterEach
    void stop() {
        stall.countDown();
        rt.close();
        timer.shutdownNow();
    }

    private BasicAuthFilter filter(String htpasswd) throws Exception {
        return new BasicAuthFilter(new BasicAuthConfig("Admin", Path.of("/nonexistent/htpasswd"),
                HtpasswdFile.parse(htpasswd), false, "X-User"), rt);
    }

    private static String auth(String userPassword) {
        return "Authorization: Basic " + Base64.getEncoder().encodeToString(userPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void whenEveryPlaceIsTakenTheAnswerIs503WithRetryAfter() throws Exception {
        BasicAuthFilter f = filter(bcryptLine);
        workers.execute(() -> {
            try {
                stall.await(30, TimeUnit.SECONDS); // the only worker is busy: checks queue behind it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        FakeAuthRequest a = new FakeAuthRequest(auth("bea:pw"));
        FakeAuthRequest b = new FakeAuthRequest(auth("bea:wrong"));
        FakeAuthRequest c = new FakeAuthRequest(auth("bea:other"));
        assertEquals(Verdict.SUSPENDED, f.onRequest(a));
        assertEquals(Verdict.SUSPENDED, f.onRequest(b));
        assertEquals(Verdict.RESPONDED, f.onRequest(c), "two checks pending: the bound");
        assertEquals(503, c.status);
        assertEquals("Retry-After: 1", c.answerFields.addedLines().strip());
        assertEquals(1, rt.busy());

        stall.countDown();
        assertEquals(Verdict.CONTINUE, a.awaitResumed());
        assertEquals("bea", a.upstream.addedLines().strip().replace("X-User: ", ""));
        assertEquals(Verdict.RESPONDED, b.awaitResumed());
        assertEquals(401, b.status);
        assertEquals("WWW-Authenticate: Basic realm=\"Admin\", charset=\"UTF-8\"", b.answerFields.addedLines().strip());

        FakeAuthRequest d = new FakeAuthRequest(auth("bea:another"));
        assertEquals(Verdict.SUSPENDED, f.onRequest(d), "places come back as checks end");
        assertEquals(Verdict.RESPONDED, d.awaitResumed());
    }

    @Test
    void aClientGoneBeforeItsCheckCostsNoHashAndGivesItsPlaceBack() throws Exception {
        BasicAuthFilter f = filter(bcryptLine);
        workers.execute(() -> {
            try {
                stall.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        FakeAuthRequest gone = new FakeAuthRequest(auth("bea:pw"));
        assertEquals(Verdict.SUSPENDED, f.onRequest(gone));
        gone.cancelled = true;
        stall.countDown();
        FakeAuthRequest next = new FakeAuthRequest(auth("bea:pw"));
        FakeAuthRequest third = new FakeAuthRequest(auth("bea:pw"));
        assertEquals(Verdict.SUSPENDED, f.onRequest(next));
        assertEquals(Verdict.CONTINUE, next.awaitResumed());
        assertFalse(gone.resumed.isDone(), "no resumption for a request that is gone");
        assertEquals(Verdict.CONTINUE, f.onRequest(third), "and the success is cached");
        assertFalse(third.wasSuspended());
    }

    @Test
    void successesAreCachedForMinutesAndFailuresForSeconds() throws Exception {
        BasicAuthFilter f = filter(bcryptLine);
        FakeAuthRequest first = new FakeAuthRequest(auth("bea:pw"));
        assertEquals(Verdict.SUSPENDED, f.onRequest(first));
        assertEquals(Verdict.CONTINUE, first.awaitResumed());
        FakeAuthRequest again = new FakeAuthRequest(auth("bea:pw"));
        assertEquals(Verdict.CONTINUE, f.onRequest(again), "at once, from the cache");
        assertFalse(again.wasSuspended());
        assertEquals(1, rt.cacheHits());

        FakeAuthRequest wrong = new FakeAuthRequest(auth("bea:bad"));
        assertEquals(Verdict.SUSPENDED, f.onRequest(wrong));
        assertEquals(Verdict.RESPONDED, wrong.awaitResumed());
        FakeAuthRequest wrongAgain = new FakeAuthRequest(auth("bea:bad"));
        assertEquals(Verdict.RESPONDED, f.onRequest(wrongAgain), "the same wrong password: at once");
        assertEquals(401, wrongAgain.status);

        now.addAndGet(BasicAuthRuntime.FAILED_TTL_NANOS);
        FakeAuthRequest later = new FakeAuthRequest(auth("bea:bad"));
        assertEquals(Verdict.SUSPENDED, f.onRequest(later), "a failure is forgotten after seconds");
        assertEquals(Verdict.RESPONDED, later.awaitResumed());
        assertEquals(Verdict.CONTINUE, f.onRequest(new FakeAuthRequest(auth("bea:pw"))), "a success is not");

        now.addAndGet(BasicAuthRuntime.PASSED_TTL_NANOS);
        FakeAuthRequest expired = new FakeAuthRequest(auth("bea:pw"));
        assertEquals(Verdict.SUSPENDED, f.onRequest(expired), "until its minutes have passed");
        assertEquals(Verdict.CONTINUE, expired.awaitResumed());
    }

    @Test
    void anUnknownUserIsCheckedOffTheSelectorLikeAKnownOne() throws Exception {
        BasicAuthFilter f = filter(bcryptLine);
        FakeAuthRequest r = new FakeAuthRequest(auth("mallory:pw"));
        assertEquals(Verdict.SUSPENDED, f.onRequest(r), "a dummy bcrypt, as for a wrong password");
        assertEquals(Verdict.RESPONDED, r.awaitResumed());
        assertEquals(401, r.status);
    }

    @Test
    void cheapHashesAreCheckedInPlace() throws Exception {
        BasicAuthFilter f = filter(Htpasswd.line("s", "sam", "pw"));
        FakeAuthRequest ok = new FakeAuthRequest(auth("sam:pw"));
        assertEquals(Verdict.CONTINUE, f.onRequest(ok));
        assertFalse(ok.wasSuspended());
        assertTrue(ok.upstream.addedLines().contains("X-User: sam"));
        assertEquals("sam", ok.remoteUser, "the access log's $remote_user");
        FakeAuthRequest unknown = new FakeAuthRequest(auth("nobody:pw"));
        assertEquals(Verdict.RESPONDED, f.onRequest(unknown));
        assertFalse(unknown.wasSuspended(), "the dummy of an all-SHA file is a SHA too");
    }

    @Test
    void aStoppedRuntimeAnswers503NotSilence() throws Exception {
        BasicAuthFilter f = filter(bcryptLine);
        workers.shutdown();
        FakeAuthRequest r = new FakeAuthRequest(auth("bea:pw"));
        assertEquals(Verdict.SUSPENDED, f.onRequest(r));
        assertEquals(Verdict.RESPONDED, r.awaitResumed());
        assertEquals(503, r.status);
        FakeAuthRequest s = new FakeAuthRequest(auth("bea:pw2"));
        assertEquals(Verdict.SUSPENDED, f.onRequest(s), "the place was given back");
    }

    @Test
    void userNamesAreFieldSafe() {
        assertEquals("bea", BasicAuthFilter.fieldSafe("bea"));
        assertEquals("%C3%A9mile", BasicAuthFilter.fieldSafe("émile"));
        assertEquals("a%20b%25c", BasicAuthFilter.fieldSafe("a b%c"));
    }
}
