package io.rejourney.reactnative

import android.content.Context
import io.rejourney.RejourneyOptions
import io.rejourney.android.Rejourney

/** The Android SDK as the module's [RejourneyModuleImpl.Host]. */
internal class AndroidHost(private val context: Context) : RejourneyModuleImpl.Host {
    override fun start(options: RejourneyOptions): String? = Rejourney.start(context, options)
    override fun start(options: RejourneyOptions, onSession: io.rejourney.sdk.SessionCallbacks): String? =
        Rejourney.start(context, options, onSession)
    override fun core() = Rejourney.client()
    override fun stop() = Rejourney.stop()
    override fun setConsent(consent: io.rejourney.TrackingConsent) = Rejourney.setConsent(consent)
    override fun setFrameObserver(observer: ((uniffi.rejourney_core.ObservedFrame) -> Unit)?) = Rejourney.setFrameObserver(observer)
}
