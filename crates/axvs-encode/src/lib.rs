pub fn x(){ let _ = ffmpeg_next::init(); }
