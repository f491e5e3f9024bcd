//! The live view's drawing, layout, captions and pictures, through the crate's public API (integration
//! tests rather than unit tests: the library is optimized in test builds, and a unit-test harness would
//! compile all of it a second time, optimized: 85 s of a clean build).

mod canvas {
    use axvs_view::canvas::*;
    use axvs_view::layout::Rect;

    fn rect(x: u32, y: u32, width: u32, height: u32) -> Rect {
        Rect { x, y, width, height }
    }

    #[test]
    fn fills_blits_and_shades_stay_inside_the_canvas() {
        let mut canvas = Canvas::new(10, 6);
        canvas.fill(rect(8, 4, 100, 100), Colour::SAVING);
        assert_eq!(canvas.at(9, 5), Colour::SAVING);
        assert_eq!(canvas.at(7, 5), Colour::BLACK);
        canvas.blit(rect(0, 0, 2, 1), &[1, 2, 3, 0, 4, 5, 6, 0]);
        assert_eq!(
            (canvas.at(0, 0), canvas.at(1, 0)),
            (Colour::rgb(3, 2, 1), Colour::rgb(6, 5, 4))
        );
        canvas.blit(rect(0, 0, 2, 2), &[9; 8]);
        assert_eq!(canvas.at(0, 0), Colour::rgb(3, 2, 1), "too few pixels: nothing drawn");
        canvas.shade(rect(8, 0, 5, 10));
        assert_eq!(canvas.at(9, 5), Colour::rgb(230 >> 2, 40 >> 2, 40 >> 2));
        let mut out = Vec::new();
        canvas.rows(rect(8, 4, 5, 5), 0..6, &mut out);
        assert_eq!(out.len(), 2 * 2 * 4, "two rows of two pixels");
    }

    #[test]
    fn text_draws_the_font_glyphs_and_advances() {
        let mut canvas = Canvas::new(40, 20);
        let end = canvas.text(1, 1, "I\u{1F600}", 2, Colour::TEXT);
        assert_eq!(end, 1 + 2 * 16);
        assert_eq!(text_width("I\u{1F600}", 2), 32);
        // font8x8's 'I' has its first row 0x1E: pixels 1 to 4 lit, drawn 2 x 2 each.
        let lit: Vec<bool> = (0..16).map(|x| canvas.at(1 + x, 1) == Colour::TEXT).collect();
        assert_eq!(
            lit,
            [false, false, true, true, true, true, true, true, true, true, false, false, false, false, false, false]
        );
        assert!(
            (17..33).any(|x| canvas.at(x, 4) == Colour::TEXT),
            "an unknown character shows as '?'"
        );
        canvas.text(38, 18, "W", 3, Colour::TEXT);
    }
}

mod layout {
    use axvs_view::layout::*;

    fn inside(inner: Rect, outer: Rect) -> bool {
        inner.x >= outer.x
            && inner.y >= outer.y
            && inner.x + inner.width <= outer.x + outer.width
            && inner.y + inner.height <= outer.y + outer.height
    }

    #[test]
    fn pictures_keep_their_aspect_inside_their_cells_and_never_overlap() {
        for n in 1..=9usize {
            let frames: Vec<(u32, u32)> = (0..n)
                .map(|i| if i % 2 == 0 { (1920, 1080) } else { (640, 480) })
                .collect();
            let area = Rect {
                x: 0,
                y: 0,
                width: 1280,
                height: 1004,
            };
            let tiles = grid(area.width, area.height, &frames);
            assert_eq!(tiles.len(), n);
            for (tile, (w, h)) in tiles.iter().zip(&frames) {
                assert!(inside(tile.cell, area), "{n}: {tile:?}");
                assert!(inside(tile.picture, tile.cell), "{n}: {tile:?}");
                let aspect = f64::from(tile.picture.width) / f64::from(tile.picture.height);
                let want = f64::from(*w) / f64::from(*h);
                assert!((aspect - want).abs() / want < 0.02, "{n}: aspect {aspect} vs {want}");
            }
            for (i, a) in tiles.iter().enumerate() {
                for b in &tiles[i + 1..] {
                    let apart = a.cell.x + a.cell.width <= b.cell.x
                        || b.cell.x + b.cell.width <= a.cell.x
                        || a.cell.y + a.cell.height <= b.cell.y
                        || b.cell.y + b.cell.height <= a.cell.y;
                    assert!(apart, "{n}: {a:?} overlaps {b:?}");
                }
            }
        }
    }

    #[test]
    fn the_grid_shape_follows_the_window() {
        let columns = |w, h, n| {
            let tiles = grid(w, h, &vec![(1920, 1080); n]);
            tiles.iter().filter(|t| t.cell.y == 0).count()
        };
        assert_eq!(columns(1280, 1000, 4), 2);
        assert_eq!(columns(1280, 1000, 2), 1, "16:9 frames stack in a tall window");
        assert_eq!(columns(2400, 400, 2), 2, "and sit side by side in a wide one");
        assert_eq!(columns(1920, 1080, 8), 3);
        assert_eq!(grid(100, 100, &[]), Vec::new());
    }

    #[test]
    fn a_window_too_small_for_a_picture_gets_empty_pictures_not_a_panic() {
        let tiles = grid(3, 3, &[(640, 480), (0, 0)]);
        assert!(tiles.iter().all(|t| t.picture.area() == 0), "{tiles:?}");
    }
}

mod overlay {
    use axvs_core::{SystemState, SystemStatus};
    use axvs_view::canvas::{Canvas, Colour};
    use axvs_view::layout::{status_height, Rect};
    use axvs_view::overlay::*;
    use axvs_view::ViewStatus;

    fn status(saving: bool, state: SystemState, lost: u64) -> SystemStatus {
        SystemStatus {
            id: 3,
            name: "left".into(),
            state,
            saving,
            acquired: 100,
            saved: 90,
            dropped: axvs_core::DropCounts {
                queue_full: lost,
                ..Default::default()
            },
            camera_lost: 0,
            unlogged: 0,
            queue_depth: 0,
            queue_peak: 0,
            queue_capacity: 8,
            fps: 29.97,
            video_path: None,
            error: None,
        }
    }

    #[test]
    fn captions_say_the_figures_and_whether_the_camera_saves() {
        let saving = Caption::of(0, 3, "left", Some(&status(true, SystemState::Running, 0)));
        assert_eq!(saving.title(), "1: 003 left");
        assert_eq!(saving.figures(), "30.0 fps  saved 90  lost 0  cam lost 0");
        assert_eq!(saving.mark().0, "REC");
        let idle = Caption::of(1, 3, "left", Some(&status(false, SystemState::Running, 2)));
        assert_eq!(idle.mark().0, "not saving");
        assert!(idle.figures().contains("lost 2"));
        assert_eq!(
            Caption::of(0, 3, "left", Some(&status(true, SystemState::Failed, 0)))
                .mark()
                .0,
            "FAILED"
        );
        assert_eq!(Caption::of(0, 3, "left", None).figures(), "starting");
    }

    #[test]
    fn captions_draw_inside_their_picture_whatever_its_size() {
        let caption = Caption::of(
            0,
            3,
            "a_camera_with_a_very_long_name",
            Some(&status(true, SystemState::Running, 1)),
        );
        for (w, h) in [(640, 360), (100, 60), (20, 10), (1, 1)] {
            let mut canvas = Canvas::new(w + 20, h + 20);
            let picture = Rect {
                x: 10,
                y: 10,
                width: w,
                height: h,
            };
            caption.draw(&mut canvas, picture);
            for y in 0..canvas.height() {
                for x in 0..canvas.width() {
                    let outside = x < 10 || y < 10 || x >= 10 + w || y >= 10 + h;
                    if outside {
                        assert_eq!(canvas.at(x, y), Colour::BLACK, "{w}x{h}: drawn outside at ({x}, {y})");
                    }
                }
            }
        }
        // The saving mark is red at the right of a large tile.
        let mut canvas = Canvas::new(640, 360);
        let whole = Rect {
            x: 0,
            y: 0,
            width: 640,
            height: 360,
        };
        caption.draw(&mut canvas, whole);
        assert!((560..636).any(|x| (320..340).any(|y| canvas.at(x, y) == Colour::SAVING)));
    }

    #[test]
    fn the_status_line_says_the_session_time_space_and_keys() {
        let line = status_line(&ViewStatus {
            session: "s1".into(),
            elapsed_s: 3723.9,
            free_bytes: Some(37_250_000_000),
            cameras: Vec::new(),
        });
        assert_eq!(line, format!("axvs  s1  01:02:03  37.2 GB free  |  {KEYS_HELP}"));
        let mut canvas = Canvas::new(300, 100);
        let bar = draw_status(&mut canvas, &line);
        assert_eq!((bar.y, bar.height), (100 - status_height(300), status_height(300)));
        assert_eq!(canvas.at(299, 99), Colour::BAR);
    }
}

mod picture {
    use axvs_core::PixelFormat;
    use axvs_view::picture::*;

    fn pixel(p: &Picture, x: u32, y: u32) -> [u8; 3] {
        let at = ((y * p.width() + x) * 4) as usize;
        let px = &p.pixels()[at..at + 4];
        [px[2], px[1], px[0]] // red, green, blue
    }

    #[test]
    fn every_format_shows_its_colours_downsampled() {
        let mut p = Picture::default();
        // A flat colour keeps its value through any resize: red 200, green 100, blue 50.
        let (w, h) = (64u32, 48u32);
        let n = (w * h) as usize;
        let cases: Vec<(PixelFormat, Vec<u8>, [u8; 3])> = vec![
            (PixelFormat::Mono8, vec![90; n], [90, 90, 90]),
            (PixelFormat::Bgr8, [50, 100, 200].repeat(n), [200, 100, 50]),
            (PixelFormat::Rgb8, [200, 100, 50].repeat(n), [200, 100, 50]),
            (
                PixelFormat::BayerRg8,
                bayer(w, h, [[200, 100], [100, 50]]),
                [200, 100, 50],
            ),
            (
                PixelFormat::BayerBg8,
                bayer(w, h, [[50, 100], [100, 200]]),
                [200, 100, 50],
            ),
            (
                PixelFormat::BayerGr8,
                bayer(w, h, [[100, 200], [50, 100]]),
                [200, 100, 50],
            ),
            (
                PixelFormat::BayerGb8,
                bayer(w, h, [[100, 50], [200, 100]]),
                [200, 100, 50],
            ),
        ];
        for (format, frame, want) in cases {
            assert!(p.render(&frame, format, (w, h), (16, 12)), "{format:?}");
            assert_eq!((p.width(), p.height(), p.pixels().len()), (16, 12, 16 * 12 * 4));
            assert_eq!(pixel(&p, 7, 5), want, "{format:?}");
        }
    }

    fn bayer(w: u32, h: u32, cell: [[u8; 2]; 2]) -> Vec<u8> {
        (0..h)
            .flat_map(|y| (0..w).map(move |x| cell[(y % 2) as usize][(x % 2) as usize]))
            .collect()
    }

    #[test]
    fn sixteen_bit_samples_are_scaled_by_the_bits_in_use() {
        let mut p = Picture::default();
        let frame = |v: u16| v.to_le_bytes().repeat(8 * 8);
        // A 12-bit camera at its top shows white, not a sixteenth of it.
        assert!(p.render(&frame(4095), PixelFormat::Mono16, (8, 8), (4, 4)));
        assert_eq!(pixel(&p, 1, 1), [255; 3]);
        assert!(p.render(&frame(2048), PixelFormat::Mono16, (8, 8), (4, 4)));
        assert_eq!(pixel(&p, 1, 1), [128; 3], "the scale stays once learnt");
        assert!(p.render(&frame(65535), PixelFormat::Mono16, (8, 8), (4, 4)));
        assert!(p.render(&frame(2048), PixelFormat::Mono16, (8, 8), (4, 4)));
        assert_eq!(pixel(&p, 1, 1), [8; 3], "and grows with the samples");
        let mut dark = Picture::default();
        assert!(dark.render(&frame(100), PixelFormat::Mono16, (8, 8), (4, 4)));
        assert_eq!(
            pixel(&dark, 1, 1),
            [100; 3],
            "small values are never scaled up past 8 bits"
        );
    }

    #[test]
    fn a_frame_of_the_wrong_size_keeps_the_last_picture() {
        let mut p = Picture::default();
        assert!(p.render(&[7; 16], PixelFormat::Mono8, (4, 4), (2, 2)));
        assert!(!p.render(&[9; 15], PixelFormat::Mono8, (4, 4), (2, 2)));
        assert!(!p.render(&[9; 16], PixelFormat::Mono8, (4, 4), (0, 2)));
        assert_eq!(pixel(&p, 0, 0), [7; 3]);
    }
}

mod keys {
    use axvs_view::keysym_char;

    #[test]
    fn keysyms_type_their_characters_and_keypad_digits_are_digits() {
        assert_eq!(keysym_char(u32::from(b'w')), Some('w'));
        assert_eq!(keysym_char(0xffb7), Some('7'));
        assert_eq!(keysym_char(0xff9c), None, "KP_End");
        assert_eq!(
            keysym_char(0x26),
            Some('&'),
            "AZERTY's unshifted 1: no key; its shifted keysym is '1'"
        );
    }
}
