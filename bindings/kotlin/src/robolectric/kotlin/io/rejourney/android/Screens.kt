package io.rejourney.android

import android.app.Activity
import android.app.Dialog
import android.graphics.Color
import android.os.Bundle
import android.view.Gravity
import android.view.View
import android.view.ViewGroup
import android.widget.ArrayAdapter
import android.widget.EditText
import android.widget.FrameLayout
import android.widget.LinearLayout
import android.widget.ListView
import android.widget.PopupWindow
import android.widget.ScrollView
import android.widget.TextView

/** A column of a label and a password that tests rearrange (RTL, transforms, overflow). */
open class CardActivity : Activity() {
    lateinit var label: TextView
    lateinit var card: FrameLayout
    lateinit var input: EditText
    /** A solid blue patch away from every mask: red and blue must not swap in the frame. */
    lateinit var swatch: View

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        label = Widgets.text(this, "Card")
        input = Widgets.input(this, "4111 1111", Widgets.PASSWORD)
        swatch = View(this).apply { setBackgroundColor(SWATCH) }
        // Neutral grey: a saturated card would bleed colour into the mask through JPEG's
        // half-resolution chroma (the privacy tolerance is for luma ringing).
        card = FrameLayout(this).apply {
            setBackgroundColor(Color.rgb(170, 170, 170))
            addView(input, FrameLayout.LayoutParams(160, 50).apply { leftMargin = 20; topMargin = 25 })
        }
        val root = FrameLayout(this).apply { setBackgroundColor(Color.rgb(40, 40, 40)) }
        root.addView(label, FrameLayout.LayoutParams(200, 50).apply { leftMargin = 10; topMargin = 10 })
        root.addView(card, FrameLayout.LayoutParams(200, 100).apply { leftMargin = 60; topMargin = 180 })
        root.addView(swatch, FrameLayout.LayoutParams(120, 60).apply { leftMargin = 10; topMargin = 320 })
        setContentView(root)
    }

    companion object {
        val SWATCH = Color.rgb(0, 90, 200)
    }
}

/** A long list scrolled down to a password near its end. */
class ScrolledActivity : Activity() {
    lateinit var scroll: ScrollView
    lateinit var password: EditText
    lateinit var row: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val column = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        repeat(30) { column.addView(Widgets.text(this, "row $it", if (it % 2 == 0) Color.WHITE else Color.YELLOW), ViewGroup.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 40)) }
        password = Widgets.input(this, "secret", Widgets.PASSWORD)
        column.addView(password, ViewGroup.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 60))
        row = Widgets.text(this, "after", Color.WHITE)
        column.addView(row, ViewGroup.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 60))
        repeat(5) { column.addView(Widgets.text(this, "tail $it"), ViewGroup.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 40)) }
        scroll = ScrollView(this).apply { addView(column) }
        setContentView(scroll)
    }
}

/** A ListView of labels under a PIN field. */
class ListActivity : Activity() {
    lateinit var pin: EditText
    lateinit var list: ListView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        pin = Widgets.input(this, "1234", Widgets.NUMBER_PASSWORD)
        list = ListView(this).apply {
            setBackgroundColor(Color.WHITE)
            adapter = object : ArrayAdapter<String>(this@ListActivity, android.R.layout.simple_list_item_1, List(40) { "item $it" }) {
                override fun getView(position: Int, convertView: View?, parent: ViewGroup): View =
                    (super.getView(position, convertView, parent) as TextView).apply { setTextColor(Color.BLACK); setBackgroundColor(Color.WHITE) }
            }
        }
        val column = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL; setBackgroundColor(Color.rgb(40, 40, 40)) }
        column.addView(pin, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 60))
        column.addView(list, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 0, 1f))
        setContentView(column)
    }
}

/** A plain screen that shows a dialog with a password, or a popup with an input. */
class BehindActivity : Activity() {
    lateinit var label: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        label = Widgets.text(this, "Behind the dialog")
        setContentView(Widgets.column(this, label))
    }

    fun showDialog(): EditText {
        val field = Widgets.input(this, "dialog-secret", Widgets.PASSWORD)
        Dialog(this).apply {
            setContentView(FrameLayout(this@BehindActivity).apply {
                setBackgroundColor(Color.WHITE)
                addView(field, FrameLayout.LayoutParams(200, 60).apply { setMargins(20, 20, 20, 20) })
            })
            show()
        }
        return field
    }

    fun showPopup(): EditText {
        val field = Widgets.input(this, "popup-text", Widgets.PLAIN)
        val content = FrameLayout(this).apply {
            setBackgroundColor(Color.WHITE)
            addView(field, FrameLayout.LayoutParams(180, 50).apply { setMargins(10, 10, 10, 10) })
        }
        PopupWindow(content, 200, 70).showAtLocation(window.decorView, Gravity.NO_GRAVITY, 40, 250)
        return field
    }
}

/**
 * Media and embedded content: a web view, a surface, a video, a texture, a hardware-bitmap
 * image, on a light background (a surface region left unmasked shows it, so the check can fail).
 */
class MediaActivity : Activity() {
    lateinit var web: android.webkit.WebView
    lateinit var surface: android.view.SurfaceView
    lateinit var video: android.widget.VideoView
    lateinit var texture: android.view.TextureView
    lateinit var image: android.widget.ImageView
    /** Whether the image really holds a HARDWARE bitmap (the platform may refuse one). */
    var hardware = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        web = android.webkit.WebView(this).apply { setBackgroundColor(Color.WHITE) }
        surface = android.view.SurfaceView(this)
        video = android.widget.VideoView(this)
        texture = android.view.TextureView(this)
        val pixels = android.graphics.Bitmap.createBitmap(100, 40, android.graphics.Bitmap.Config.ARGB_8888).apply { eraseColor(IMAGE) }
        val shown = runCatching { pixels.copy(android.graphics.Bitmap.Config.HARDWARE, false) }.getOrNull()
        hardware = shown?.config == android.graphics.Bitmap.Config.HARDWARE
        image = android.widget.ImageView(this).apply {
            setImageBitmap(shown ?: pixels)
            scaleType = android.widget.ImageView.ScaleType.FIT_XY
        }
        val column = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL; setBackgroundColor(BACKGROUND) }
        for (v in listOf<View>(image, web, surface, video, texture)) column.addView(v, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 70).apply { setMargins(10, 10, 10, 10) })
        setContentView(column)
    }

    companion object {
        val IMAGE = Color.rgb(250, 200, 0)
        val BACKGROUND = Color.rgb(200, 200, 200)
    }
}

/**
 * A bottom sheet without androidx (a `Dialog` anchored at the bottom, full width) holding a
 * password and a green swatch, and a `PopupWindow` above the sheet (its token the sheet's)
 * holding an input and a blue swatch that overlaps the sheet: z-order shows in the colours.
 */
class SheetActivity : Activity() {
    lateinit var label: TextView
    lateinit var sheetPassword: EditText
    lateinit var sheetSwatch: View
    lateinit var popupInput: EditText
    lateinit var popupSwatch: View
    lateinit var sheet: Dialog

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        label = Widgets.text(this, "Behind the sheet")
        setContentView(Widgets.column(this, label))
    }

    fun showSheet() {
        sheetPassword = Widgets.input(this, "sheet-secret", Widgets.PASSWORD)
        sheetSwatch = View(this).apply { setBackgroundColor(SHEET_SWATCH) }
        val content = FrameLayout(this).apply {
            setBackgroundColor(Color.WHITE)
            addView(sheetPassword, FrameLayout.LayoutParams(220, 60).apply { leftMargin = 20; topMargin = 20 })
            addView(sheetSwatch, FrameLayout.LayoutParams(100, 60).apply { leftMargin = 260; topMargin = 20 })
        }
        sheet = Dialog(this).apply {
            requestWindowFeature(android.view.Window.FEATURE_NO_TITLE)
            setContentView(content, ViewGroup.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 300))
            window!!.setGravity(Gravity.BOTTOM)
            window!!.setLayout(ViewGroup.LayoutParams.MATCH_PARENT, 300)
            window!!.setBackgroundDrawable(android.graphics.drawable.ColorDrawable(Color.WHITE))
            show()
        }
    }

    /** Over the sheet: the popup's window sits above the sheet's. */
    fun showPopup() {
        popupInput = Widgets.input(this, "popup-text", Widgets.PLAIN)
        popupSwatch = View(this).apply { setBackgroundColor(POPUP_SWATCH) }
        val content = FrameLayout(this).apply {
            setBackgroundColor(Color.WHITE)
            addView(popupInput, FrameLayout.LayoutParams(160, 50).apply { leftMargin = 10; topMargin = 10 })
            addView(popupSwatch, FrameLayout.LayoutParams(60, 50).apply { leftMargin = 180; topMargin = 10 })
        }
        val decor = sheet.window!!.decorView
        val loc = IntArray(2)
        decor.getLocationOnScreen(loc)
        // Inside the sheet: what the popup covers is the sheet's.
        PopupWindow(content, 260, 70).showAtLocation(decor, Gravity.NO_GRAVITY, 30, loc[1] + 150)
    }

    companion object {
        val SHEET_SWATCH = Color.rgb(0, 170, 60)
        val POPUP_SWATCH = Color.rgb(0, 90, 200)
    }
}
