<?xml version="1.0" encoding="UTF-8"?>
<tileset version="1.10" tiledversion="1.10.2" name="meta" tilewidth="32" tileheight="32" tilecount="2" columns="16">
 <image source="meta.png" width="512" height="32"/>
 <tile id="0"><properties><property name="kind" value="collision"/></properties></tile>
 <tile id="1"><properties><property name="kind" value="spawn"/></properties></tile>
</tileset>
