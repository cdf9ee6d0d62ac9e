package io.kodiak.tls;

import io.netty.util.ReferenceCounted;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.BiFunction;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

/**
 * BoringSSL's engine as Grizzly's TLS filter needs it: it says FINISHED on the call that consumes
 * the handshake's last message.
 *
 * <p>Why: in TLS 1.3 the client speaks last (its Finished), and netty's engine notices that the
 * handshake is over only at its next call. Until then it says NEED_UNWRAP, so Grizzly, still in
 * its handshake loop, unwraps the client's first request there, and the handshake loop throws
 * application data away: the request is lost and the client sees the connection close. The
 * JDK's engine says FINISHED at once, and so does netty's on a call with nothing to read: this
 * makes that call (an empty unwrap) after every unwrap that consumed handshake bytes and left it
 * waiting, which costs one call per handshake message and nothing once the handshake is over.
 *
 * <p>It also reads the client's hello for {@link ClientHelloOffer}, which the key manager consults.
 *
 * <p>Everything else is the wrapped engine's, including its reference count.
 */
final class FinishingEngine extends SSLEngine implements ReferenceCounted, Releasable {
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);

    private final SSLEngine engine;
    private final ReferenceCounted counted;
    /** The client's first hello, once read; only the connection's current reader touches it. */
    private ClientHelloOffer offer;
    /** Until a call says FINISHED; the reader and the writer may be two threads. */
    private volatile boolean handshaking = true;

    <E extends SSLEngine & ReferenceCounted> FinishingEngine(E engine) {
        super(engine.getPeerHost(), engine.getPeerPort());
        this.engine = engine;
        this.counted = engine;
    }

    // The one-buffer forms Grizzly calls: netty's own avoid the array the SSLEngine defaults make per call.
    @Override
    public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer dst) throws SSLException {
        return handshaking ? unwrap(src, new ByteBuffer[] {dst}, 0, 1) : engine.unwrap(src, dst);
    }

    @Override
    public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts) throws SSLException {
        return handshaking ? unwrap(src, dsts, 0, dsts.length) : engine.unwrap(src, dsts);
    }

    @Override
    public SSLEngineResult wrap(ByteBuffer src, ByteBuffer dst) throws SSLException {
        return handshaking ? wrap(new ByteBuffer[] {src}, 0, 1, dst) : engine.wrap(src, dst);
    }

    @Override
    public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
        if (!handshaking) {
            return engine.unwrap(src, dsts, offset, length); // the usual case: records of a live connection
        }
        if (offer == null) {
            offer = ClientHelloOffer.parse(src);
        }
        SSLEngineResult r;
        if (offer != null) {
            ClientHelloOffer.CURRENT.set(offer); // the key manager is asked within this call
            try {
                r = engine.unwrap(src, dsts, offset, length);
            } finally {
                ClientHelloOffer.CURRENT.remove();
            }
        } else {
            r = engine.unwrap(src, dsts, offset, length);
        }
        if (r.getHandshakeStatus() == HandshakeStatus.NEED_UNWRAP && r.bytesConsumed() > 0
                && r.getStatus() == SSLEngineResult.Status.OK) {
            SSLEngineResult probe = engine.unwrap(NOTHING.duplicate(), dsts, offset, length);
            if (probe.getHandshakeStatus() == HandshakeStatus.FINISHED) {
                r = new SSLEngineResult(r.getStatus(), HandshakeStatus.FINISHED, r.bytesConsumed(), r.bytesProduced());
            }
        }
        return noteEnd(r);
    }

    /** The handshake ended with this call (either side may speak last): it stays so, BoringSSL never renegotiates as a server. */
    private SSLEngineResult noteEnd(SSLEngineResult r) {
        if (handshaking && (r.getHandshakeStatus() == HandshakeStatus.FINISHED
                || r.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING)) {
            handshaking = false;
        }
        return r;
    }

    @Override
    public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
        SSLEngineResult r = engine.wrap(srcs, offset, length, dst);
        return handshaking ? noteEnd(r) : r;
    }

    @Override
    public Runnable getDelegatedTask() {
        return engine.getDelegatedTask();
    }

    @Override
    public void closeInbound() throws SSLException {
        engine.closeInbound();
    }

    @Override
    public boolean isInboundDone() {
        return engine.isInboundDone();
    }

    @Override
    public void closeOutbound() {
        engine.closeOutbound();
    }

    @Override
    public boolean isOutboundDone() {
        return engine.isOutboundDone();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return engine.getSupportedCipherSuites();
    }

    @Override
    public String[] getEnabledCipherSuites() {
        return engine.getEnabledCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
        engine.setEnabledCipherSuites(suites);
    }

    @Override
    public String[] getSupportedProtocols() {
        return engine.getSupportedProtocols();
    }

    @Override
    public String[] getEnabledProtocols() {
        return engine.getEnabledProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
        engine.setEnabledProtocols(protocols);
    }

    @Override
    public SSLSession getSession() {
        return engine.getSession();
    }

    @Override
    public SSLSession getHandshakeSession() {
        return engine.getHandshakeSession();
    }

    @Override
    public void beginHandshake() throws SSLException {
        engine.beginHandshake();
    }

    @Override
    public HandshakeStatus getHandshakeStatus() {
        return engine.getHandshakeStatus();
    }

    @Override
    public void setUseClientMode(boolean mode) {
        engine.setUseClientMode(mode);
    }

    @Override
    public boolean getUseClientMode() {
        return engine.getUseClientMode();
    }

    @Override
    public void setNeedClientAuth(boolean need) {
        engine.setNeedClientAuth(need);
    }

    @Override
    public boolean getNeedClientAuth() {
        return engine.getNeedClientAuth();
    }

    @Override
    public void setWantClientAuth(boolean want) {
        engine.setWantClientAuth(want);
    }

    @Override
    public boolean getWantClientAuth() {
        return engine.getWantClientAuth();
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
        engine.setEnableSessionCreation(flag);
    }

    @Override
    public boolean getEnableSessionCreation() {
        return engine.getEnableSessionCreation();
    }

    @Override
    public SSLParameters getSSLParameters() {
        return engine.getSSLParameters();
    }

    @Override
    public void setSSLParameters(SSLParameters params) {
        engine.setSSLParameters(params);
    }

    @Override
    public String getApplicationProtocol() {
        return engine.getApplicationProtocol();
    }

    @Override
    public String getHandshakeApplicationProtocol() {
        return engine.getHandshakeApplicationProtocol();
    }

    @Override
    public void setHandshakeApplicationProtocolSelector(BiFunction<SSLEngine, List<String>, String> selector) {
        engine.setHandshakeApplicationProtocolSelector(selector);
    }

    @Override
    public BiFunction<SSLEngine, List<String>, String> getHandshakeApplicationProtocolSelector() {
        return engine.getHandshakeApplicationProtocolSelector();
    }

    @Override
    public int refCnt() {
        return counted.refCnt();
    }

    @Override
    public ReferenceCounted retain() {
        counted.retain();
        return this;
    }

    @Override
    public ReferenceCounted retain(int increment) {
        counted.retain(increment);
        return this;
    }

    @Override
    public ReferenceCounted touch() {
        counted.touch();
        return this;
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        counted.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return counted.release();
    }

    @Override
    public boolean release(int decrement) {
        return counted.release(decrement);
    }

    @Override
    public String toString() {
        return "FinishingEngine{" + engine + "}";
    }
}
